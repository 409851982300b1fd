// Implementation of os_threads_demo.hpp: the book's OS-thread program, with its output order made
// a guarantee instead of a likely outcome.
#include "os_threads_demo.hpp"

#include <latch>
#include <thread>

namespace ch01 {

// In the book the order of the lines comes from the sleeps alone: 200 ms is longer than
// 100 + 50 ms, and main prints long before 100 ms have passed. That is true on an idle machine,
// but a sleep is a *minimum*: on a loaded machine (two cores shared by a compiler and a test
// suite, say) a thread can wake late, and then "...like this!" may come after "The long running
// tasks finish last!". Timing is not ordering.
//
// So the sleeps stay — they are the point of the example: the threads really do wait at the same
// time — but each line that must follow another also waits for it, on a std::latch (a one-shot
// countdown: count_down() opens it, wait() blocks until it is open). On an idle machine the latch
// is already open by the time the sleep ends, so the program behaves exactly like the book's; on
// a loaded one it waits a little instead of printing out of turn. The tests run it with the
// delays reversed to prove the order no longer depends on them.
//
// std::thread, as the book uses thread::spawn, with explicit joins in the book's order. Like the
// book's `thread::spawn(...)` and `.unwrap()`, a failure to create one of these three threads is
// not handled: std::thread throws, and a joinable std::thread being destroyed ends the program
// (std::terminate). Load mode, where thread creation really can fail, handles it.
void os_threads_demo(const LineSink& print, const OsThreadsDelays& delays) {
    print("So, we start the program here!");

    std::latch main_has_spoken{1}; // "The tasks run concurrently!" is out
    std::latch chain_is_done{1};   // "...like this!" is out

    std::thread t1([&] {
        std::this_thread::sleep_for(delays.t1);
        chain_is_done.wait();
        print("The long running tasks finish last!");
    });

    std::thread t2([&] {
        std::this_thread::sleep_for(delays.t2);
        main_has_spoken.wait();
        print("We can chain callbacks...");
        // A thread started from a thread, and joined by the thread that started it: the book's
        // picture of a callback chain built from threads.
        std::thread t3([&] {
            std::this_thread::sleep_for(delays.t3);
            print("...like this!");
            chain_is_done.count_down();
        });
        t3.join();
    });

    print("The tasks run concurrently!");
    main_has_spoken.count_down();

    t1.join();
    t2.join();
}

} // namespace ch01
