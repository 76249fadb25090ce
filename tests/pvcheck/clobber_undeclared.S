; SPDX-License-Identifier: MIT
; clobber_undeclared.S: refused. The replacement declares that it changes
; no register, and then zeroes eax: a caller that kept a value in rax
; across the site would lose it. pvcheck reads what each instruction
; writes (Capstone's access lists) and holds it against the declaration.
%include "fixture.inc"

PATCHLET repl_clobber_undeclared, PV_PATCHLET_ALT, 0
        xor eax, eax
ENDPATCHLET

PV_ALTERNATIVE PV_FEATURE_HYPERVISOR, 0, repl_clobber_undeclared
        call [rel table]
PV_ALTERNATIVE_END
        ret
