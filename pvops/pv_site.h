/* SPDX-License-Identifier: MIT */
/*
 * pv_site.h: the C call-site macro. PV_SITE(table) is the body of an
 * inline asm statement: an indirect `call [rip + table + 8 * op]` and, in
 * section .pv_patch, its 16-byte struct pv_patch_site record (self-relative
 * site and table, op, length, allowed clobbers). Use it through the
 * wrappers of pv_ops.h, which supply the operands it names.
 */
#ifndef PV_SITE_H
#define PV_SITE_H

#include "pv_abi.h"

#define PV_STR_(x) #x
#define PV_STR(x)  PV_STR_(x)

/*
 * Operands the wrapper must provide: [pv_slot] "i" (8 * op),
 * [pv_op] "i" (op), [pv_kind] "i" (PV_KIND_OP), [pv_clob] "i" (clobbers).
 */
/*
 * The asm text reads best one directive a line, so clang-format is kept
 * off it (the marker comments must hold nothing else: clang-format 14
 * ignores one with trailing text).
 */
/* clang-format off */
#define PV_SITE(table)                                                     \
	"771:\n\t"                                                         \
	"call *" PV_STR(table) "+%c[pv_slot](%%rip)\n\t"                   \
	"772:\n\t"                                                         \
	".pushsection .pv_patch, \"a\"\n\t"                               \
	".balign 4\n\t"                                                    \
	".long 771b - .\n\t"                   /* instr */                 \
	".long " PV_STR(table) " - .\n\t"     /* repl: the table */       \
	".word %c[pv_op]\n\t"                 /* key */                   \
	".byte %c[pv_kind], 0\n\t"            /* kind, flags */           \
	".byte 772b - 771b, 0\n\t"            /* instr_len, pad */        \
	".word %c[pv_clob]\n\t"               /* clobbers */              \
	".popsection\n\t"
/* clang-format on */

#define PV_SITE_OPERANDS(op, clobbers)                                         \
	[pv_slot] "i"((op)*8), [pv_op] "i"(op), [pv_kind] "i"(PV_KIND_OP),     \
	    [pv_clob] "i"(clobbers)

#endif /* PV_SITE_H */
