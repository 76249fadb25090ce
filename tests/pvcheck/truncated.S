; SPDX-License-Identifier: MIT
; truncated.S: refused. A 260-byte patchlet: its descriptor's 8-bit
; length keeps 4 (NASM only warns, silenced here), so the engine would copy
; 4 bytes of it. pvcheck compares the descriptor with the labels.
%include "fixture.inc"
[warning -number-overflow]

PATCHLET repl_long, PV_PATCHLET_ALT, 0
        times 260 nop
ENDPATCHLET
