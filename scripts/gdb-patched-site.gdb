# gdb-patched-site.gdb: with the guest booted with test=gdb, stop inside
# its patched save_fl site and show the instructions boot patching put
# there (docs/running.md). `make gdb` runs it where there is no terminal.
break gdb_selftest
continue
break gdb_save_fl
continue
x/3i $pc
stepi
stepi
info registers rip rax
delete
set var gdb_release = 0x600d
detach
