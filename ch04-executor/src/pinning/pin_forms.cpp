// Implementation of pin_forms.hpp: the four small programs of the book's ch09/d-pin, in C++.
#include "pin_forms.hpp"

#include <memory>
#include <utility>

namespace ch04::pinning {
namespace {

std::string yes_no(bool value) {
    return value ? "yes" : "no";
}

} // namespace

void heap_pinning(const Print& print) {
    // Box::pin(MaybeSelfRef::default()): the object lives on the heap; what we hold and pass
    // around is the pointer.
    auto x = std::make_unique<MaybeSelfRef>();
    x->init();
    print("heap: a = " + std::to_string(x->a()));
    *x->b() = 2; // write through the self-pointer
    print("heap: after *b = 2, a = " + std::to_string(x->a()));
    // Moving the unique_ptr moves the pointer; the object does not change address, so `b` is
    // still right. This is what ch04's executor does with every task (BoxedFuture).
    std::unique_ptr<MaybeSelfRef> moved = std::move(x);
    *moved->b() = 3;
    print("heap: the unique_ptr moved, *b = 3, a = " + std::to_string(moved->a()) +
          ", b still points at a: " + yes_no(moved->b() == moved->address_of_a()));
}

void stack_pinning(const Print& print) {
    // pin!(MaybeSelfRef::default()): a local that cannot be moved out of this frame. In C++ any
    // local of an immovable type is that: `MaybeSelfRef y = std::move(x);` does not compile. The
    // one thing to keep in mind is the same as in Rust: it lives only as long as the frame.
    MaybeSelfRef x;
    x.init();
    print("stack: a = " + std::to_string(x.a()));
    *x.b() = 2;
    print("stack: after *b = 2, a = " + std::to_string(x.a()));
}

void swap_rejected(const Print& print) {
    print("swap: std::swap on two MaybeSelfRef (or two ch04 futures) does not compile: "
          "std::is_swappable_v is " +
          std::string(std::is_swappable_v<MaybeSelfRef> ? "true" : "false"));
}

void pin_projection(const Print& print) {
    Foo foo;
    foo.a.init();
    *foo.a.b() = 5;
    foo.b = "a plain string";
    std::string taken = std::move(foo.b); // b's value leaves; b itself stays inside foo
    foo.b = "another";
    print("projection: foo.a.a = " + std::to_string(foo.a.a()) + ", a's pointer still into a: " +
          yes_no(foo.a.b() == foo.a.address_of_a()) + ", moved out of foo.b: \"" + taken + "\"");
}

} // namespace ch04::pinning
