// ch01-threads: blocking sockets and one OS thread per request. Everything is in the chapter's
// library (program.cpp for the demo and load mode); this file only hands over the command line.
#include "program.hpp"

int main(int argc, char** argv) {
    return ch01::program_main(argc, argv);
}
