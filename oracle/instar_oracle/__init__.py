"""instar's differential oracle: runs instar and qemu-img on the same cases and compares them."""
