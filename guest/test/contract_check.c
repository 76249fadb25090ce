// SPDX-License-Identifier: MIT
/*
 * contract_check.c: judging the register contract. contract_check(op, arg,
 * arg2) runs
 * op's probe (contract.S: a real site with a canary in every register)
 * and returns the registers the site changed that its contract does not
 * allow it to, 0 if it kept the contract. Safe on any CPU at any time, so
 * the boot self-test and the live-switch stress test share it.
 */
#include "test.h"
#include "pv_abi.h"
#include "pv_ops.h"

#define CANARY 0xc0dec0de00000000ull

struct contract_out {
	uint64_t regs[16]; /* by register number (pv_abi.h) */
	uint64_t rsp;	   /* just before the site */
};

typedef void contract_fn(uint64_t arg, struct contract_out *out, uint64_t arg2);

/* contract_NAME (guest/test/contract.S), one per op of the list. */
#define CONTRACT_DECL(name, NAME, contract, shape, bench, batch)               \
	extern contract_fn contract_##name;
PV_OP_LIST(CONTRACT_DECL)
#undef CONTRACT_DECL

static contract_fn *const contracts[PV_OP_COUNT] = {
#define CONTRACT_FN(name, NAME, contract, shape, bench, batch)                 \
	[PV_OP_##NAME] = contract_##name,
    PV_OP_LIST(CONTRACT_FN)
#undef CONTRACT_FN
};

static const uint16_t allowed[PV_OP_COUNT] = {
#define CONTRACT_MASK(name, NAME, contract, shape, bench, batch)               \
	[PV_OP_##NAME] = PV_CLOBBERS_##contract,
    PV_OP_LIST(CONTRACT_MASK)
#undef CONTRACT_MASK
};

/* The ops that take a second argument in rsi (shape SET2). */
static const bool has_arg2[PV_OP_COUNT] = {
#define CONTRACT_ARG2_SET2(NAME) [PV_OP_##NAME] = true,
#define CONTRACT_ARG2_GET(NAME)
#define CONTRACT_ARG2_SET(NAME)
#define CONTRACT_ARG2_DO(NAME)
#define CONTRACT_ARG2(name, NAME, contract, shape, bench, batch)               \
	CONTRACT_ARG2_##shape(NAME)
    PV_OP_LIST(CONTRACT_ARG2)
#undef CONTRACT_ARG2
#undef CONTRACT_ARG2_SET2
#undef CONTRACT_ARG2_GET
#undef CONTRACT_ARG2_SET
#undef CONTRACT_ARG2_DO
};

uint16_t contract_check(unsigned op, uint64_t arg, uint64_t arg2,
			uint64_t *result)
{
	struct contract_out out;
	uint16_t changed = 0;

	if (!has_arg2[op])
		arg2 = CANARY + PV_REG_RSI; /* rsi holds its canary */
	contracts[op](arg, &out, arg2);
	for (unsigned r = 0; r < 16; r++) {
		uint64_t want = r == PV_REG_RDI	  ? arg
				: r == PV_REG_RSI ? arg2
				: r == PV_REG_RSP ? out.rsp
						  : CANARY + r;

		if (out.regs[r] != want)
			changed |= (uint16_t)(1u << r);
	}
	if (result)
		*result = out.regs[PV_REG_RAX];
	return changed & ~allowed[op];
}

uint16_t contract_allowed(unsigned op)
{
	return op < PV_OP_COUNT ? allowed[op] : 0;
}
