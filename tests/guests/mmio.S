; SPDX-License-Identifier: MIT
; mmio.S: stores to a guest-physical address no memory backs: the run must
; stop with VMM_STATUS_GUEST_MMIO (81), naming the address and value.
%include "tiny.inc"
start:
        mov dword [0xd0000000], 0x1234
        hlt
