; SPDX-License-Identifier: MIT
; overlap.S: refused. Two records claim overlapping bytes: a site's
; second record starts in the middle of the first one's site.
%include "fixture.inc"

PATCHLET repl_overlap, PV_PATCHLET_ALT, 0
        nop
ENDPATCHLET

site_a:
        nop dword [byte rax + rax * 1 + 0]  ; 5 bytes
        nop dword [byte rax + rax * 1 + 0]
site_a_end:
        ret
        PV_RECORD site_a, site_a_end, repl_overlap_desc, \
                PV_FEATURE_HYPERVISOR, PV_KIND_FEATURE, 0, 0
        PV_RECORD site_a + 5, site_a_end, repl_overlap_desc, \
                PV_FEATURE_HYPERVISOR, PV_KIND_FEATURE, 0, 0
        PV_RECORD site_a + 3, site_a + 8, repl_overlap_desc, \
                PV_FEATURE_HYPERVISOR, PV_KIND_FEATURE, 0, 0
