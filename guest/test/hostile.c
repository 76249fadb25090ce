// SPDX-License-Identifier: MIT
/*
 * hostile.c: the guest turned against minivmm (`hostile=SEED,COUNT[,END]`
 * on the command line). COUNT hypercalls with random numbers and hostile
 * arguments: unknown numbers, buffers at, across and past the end of
 * memory, lengths that overflow, the NULL page, reserved bits, addresses
 * that are not canonical, page-table entries and frames out of memory,
 * and MULTICALLs with every refusal of the ABI. Each answer is checked against
 * the ABI, tallied, and printed for the tests to compare with minivmm's
 * --stats. Then END: pass (default), or one of the things that end a run by the
 * ABI: a write to or a read from an unknown port, unbacked MMIO, a triple
 * fault, an exit status out of range.
 */
#include "test.h"
#include "minivmm_abi.h"
#include "x86.h"

struct tally {
	uint64_t calls, unknown, refused, answered;
	uint64_t multicalls, entries; /* as minivmm's --stats counts them */
};

static uint64_t rng_state;

/* xorshift64*: small, fast, and the same sequence for the same seed. */
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t expect(struct tally *t, uint32_t nr, uint64_t a0, uint64_t a1,
		       uint64_t want)
{
	uint64_t got = hv_hypercall(nr, a0, a1);

	t->calls++;
	if (got != want)
		guest_fail("hostile: call %llu: hypercall %u (%#llx, %#llx) "
			   "gave %#llx, the ABI says %#llx",
			   (unsigned long long)t->calls, nr,
			   (unsigned long long)a0, (unsigned long long)a1,
			   (unsigned long long)got, (unsigned long long)want);
	if (want == MINIVMM_ENOSYS)
		t->unknown++;
	else if (want == MINIVMM_EINVAL)
		t->refused++;
	return got;
}

/* A buffer minivmm must refuse: off the end, wrapping, NULL page, huge. */
static void bad_range(uint64_t mem, uint64_t *gpa, uint64_t *len)
{
	uint64_t k = rnd() % 4096 + 1;

	switch (rnd() % 6) {
	case 0: /* starts inside, runs past the end */
		*gpa = mem - k;
		*len = k + 1 + rnd() % 4096;
		break;
	case 1: /* starts at or past the end */
		*gpa = mem + rnd() % (1ull << 40);
		*len = rnd() % 4096 + 1;
		break;
	case 2: /* gpa + len wraps around 2^64 */
		*gpa = (1ull << 20) + rnd() % (1ull << 20);
		*len = UINT64_MAX - *gpa + 1 + rnd() % 4096;
		break;
	case 3: /* the NULL page */
		*gpa = rnd() % MINIVMM_GUARD_BYTES;
		*len = rnd() % 64 + 1;
		break;
	case 4: /* near 2^64 */
		*gpa = UINT64_MAX - rnd() % 4096;
		*len = rnd() % 4096 + 1;
		break;
	default: /* longer than any console write */
		*gpa = 1ull << 20;
		*len = MINIVMM_CONSOLE_MAX + 1 + rnd() % (1ull << 32);
		break;
	}
}

/* set_pte: an entry misaligned, in page 0 or past the end, or a
 * present entry whose frame lies past the end. */
static void bad_set_pte(struct tally *t, uint64_t mem)
{
	uint64_t gpa = (1ull << 20) + (rnd() % 512) * 8, pte = 0x3;

	switch (rnd() % 4) {
	case 0:
		gpa += rnd() % 7 + 1;
		break;
	case 1:
		gpa = rnd() % MINIVMM_GUARD_BYTES;
		break;
	case 2:
		gpa = mem - rnd() % 8 + (rnd() % (1ull << 30) & ~7ull);
		break;
	default:
		pte = ((mem + rnd() % (1ull << 40)) & 0x000ffffffffff000ull) |
		      0x1;
		gpa = (uintptr_t)&rng_state & ~7ull; /* never written */
		break;
	}
	expect(t, MINIVMM_HC_SET_PTE, gpa, pte, MINIVMM_EINVAL);
}

/*
 * MULTICALL, each refusal of minivmm_abi.h: a count over the bound, an
 * array that is misaligned or not in memory, or (k) good entries (null
 * calls) and then a bad one, which must stop the call at index k with its
 * own error and leave the entries after it pending; or all good.
 */
static struct minivmm_mc_entry mc[MINIVMM_MC_MAX + 8];

static void multicall(struct tally *t, uint64_t mem)
{
	static const struct {
		uint32_t nr, pad;
		uint64_t arg0, error;
		bool run; /* minivmm runs its handler, which refuses it */
	} bad[] = {
	    {MINIVMM_HC_MULTICALL, 0, 0, MINIVMM_EOPNOTSUPP, false},
	    {MINIVMM_HC_READ_CR3, 0, 0, MINIVMM_EOPNOTSUPP, false},
	    {MINIVMM_HC_EXIT, 0, 0, MINIVMM_EOPNOTSUPP, false},
	    {MINIVMM_HC_CONSOLE_WRITE, 0, 0, MINIVMM_EOPNOTSUPP, false},
	    {MINIVMM_HC_SAFE_HALT, 0, 0, MINIVMM_EOPNOTSUPP, false},
	    {MINIVMM_HC_OWN_COUNT, 0, 0, MINIVMM_ENOSYS, false},
	    {MINIVMM_HC_NULL, 1, 0, MINIVMM_EINVAL, false},
	    {MINIVMM_HC_SET_PTE, 0, 1, MINIVMM_EINVAL, true}, /* misaligned */
	};
	unsigned k = (unsigned)(rnd() % 6), n, b;
	uint64_t gpa;

	for (unsigned i = 0; i < sizeof(mc) / sizeof(mc[0]); i++)
		mc[i] = (struct minivmm_mc_entry){.nr = MINIVMM_HC_NULL,
						  .result = MINIVMM_MC_PENDING};
	switch (rnd() % 4) {
	case 0:
		expect(t, MINIVMM_HC_MULTICALL, (uintptr_t)mc,
		       MINIVMM_MC_MAX + 1 + rnd() % 1000, MINIVMM_E2BIG);
		t->refused++;
		return;
	case 1: /* misaligned, page 0, past or across the end, near 2^64 */
		n = (unsigned)(rnd() % 8 + 1);
		switch (rnd() % 5) {
		case 0:
			gpa = (uintptr_t)mc + rnd() % 7 + 1;
			break;
		case 1:
			gpa = rnd() % MINIVMM_GUARD_BYTES & ~7ull;
			break;
		case 2:
			gpa = mem + (rnd() % (1ull << 40) & ~7ull);
			break;
		case 3:
			gpa = mem - (n - 1) * sizeof(mc[0]) - 8;
			break;
		default:
			gpa = UINT64_MAX - (rnd() % 4096 | 7);
			break;
		}
		expect(t, MINIVMM_HC_MULTICALL, gpa, n, MINIVMM_EINVAL);
		return;
	case 2:
		b = (unsigned)(rnd() % (sizeof(bad) / sizeof(bad[0])));
		n = k + 1 + (unsigned)(rnd() % 3);
		mc[k] = (struct minivmm_mc_entry){
		    .nr = bad[b].nr,
		    .pad = bad[b].pad,
		    .args = {bad[b].arg0 + 0x1000, 0x3},
		    .result = MINIVMM_MC_PENDING};
		expect(t, MINIVMM_HC_MULTICALL, (uintptr_t)mc, n, k);
		t->refused++;
		t->multicalls++;
		t->entries += k + bad[b].run;
		for (unsigned i = 0; i < n; i++) {
			uint64_t want = i < k	 ? 0
					: i == k ? bad[b].error
						 : MINIVMM_MC_PENDING;

			if (mc[i].result != want)
				guest_fail("hostile: call %llu: MULTICALL "
					   "entry %u of %u (bad: %u) holds "
					   "%#llx, the ABI says %#llx",
					   (unsigned long long)t->calls, i, n,
					   bad[b].nr,
					   (unsigned long long)mc[i].result,
					   (unsigned long long)want);
		}
		return;
	default:
		n = k + 1;
		expect(t, MINIVMM_HC_MULTICALL, (uintptr_t)mc, n, n);
		t->answered++;
		t->multicalls++;
		t->entries += n;
		return;
	}
}

static void one_call(struct tally *t, uint64_t mem)
{
	uint64_t gpa, len, v;
	uint32_t nr;

	switch (rnd() % 10) {
	case 8:
		bad_set_pte(t, mem);
		return;
	case 9:
		multicall(t, mem);
		return;
	case 0: /* a number past the table */
		nr = (uint32_t)(MINIVMM_HC_COUNT + rnd() % (UINT32_MAX - 64));
		expect(t, nr, rnd(), rnd(), MINIVMM_ENOSYS);
		break;
	case 1:
		bad_range(mem, &gpa, &len);
		expect(t, MINIVMM_HC_CONSOLE_WRITE, gpa, len, MINIVMM_EINVAL);
		break;
	case 2: /* get_info writes 16 bytes: make those bytes bad */
		switch (rnd() % 4) {
		case 0:
			gpa = mem - (rnd() % 15 + 1);
			break;
		case 1:
			gpa = mem + rnd() % (1ull << 40);
			break;
		case 2:
			gpa = rnd() % MINIVMM_GUARD_BYTES;
			break;
		default:
			gpa = UINT64_MAX - rnd() % 4096;
			break;
		}
		len = rnd() & 1 ? rnd() % sizeof(struct minivmm_info) /* room */
				: sizeof(struct minivmm_info) + rnd() % 4096;
		expect(t, MINIVMM_HC_GET_INFO, gpa, len, MINIVMM_EINVAL);
		break;
	case 3: /* a root past the end, or with reserved bits */
		v = rnd() & 1 ? mem + (rnd() % (1ull << 30) & ~0xfffull)
			      : (rnd() | (1ull << 63) | 0x7);
		expect(t, MINIVMM_HC_WRITE_CR3, v, 0, MINIVMM_EINVAL);
		break;
	case 4: /* not canonical */
		v = (rnd() | (1ull << 47)) & ~(1ull << 63);
		expect(t, MINIVMM_HC_FLUSH_TLB_ONE, v, 0, MINIVMM_EINVAL);
		break;
	case 5: /* reserved RFLAGS bits */
		v = rnd() | (1ull << (22 + rnd() % 42));
		expect(t, MINIVMM_HC_RESTORE_FL, v, rnd(), MINIVMM_EINVAL);
		break;
	case 6: /* harmless known calls, random arguments */
		nr = rnd() & 1 ? MINIVMM_HC_READ_CR3 : MINIVMM_HC_NULL;
		v = hv_hypercall(nr, rnd(), rnd());
		t->calls++;
		t->answered++;
		if (nr == MINIVMM_HC_NULL && v != 0)
			guest_fail("hostile: null returned %#llx",
				   (unsigned long long)v);
		break;
	default: /* irq state: leave it disabled */
		expect(t, MINIVMM_HC_IRQ_DISABLE, rnd(), rnd(), 0);
		t->answered++;
		break;
	}
}

/* Things that end a run by the ABI; each must stop minivmm cleanly. */
static NORETURN void hostile_end(const char *end)
{
	static const uint8_t empty_idt[10]; /* limit 0: nothing delivered */

	printf("hostile: ending with %s\n", end);
	if (!memcmp(end, "port", 5))
		outb((uint16_t)(0x200 + rnd() % 0x100), (uint8_t)rnd());
	else if (!memcmp(end, "portin", 7))
		(void)inb((uint16_t)(0x200 + rnd() % 0x100));
	else if (!memcmp(end, "mmio", 5))
		*(volatile uint32_t *)(0xd0000000ul + (rnd() % 4096 & ~3ul)) =
		    (uint32_t)rnd();
	else if (!memcmp(end, "triple", 7))
		__asm__ volatile("lidt %0; ud2" : : "m"(empty_idt));
	else if (!memcmp(end, "exit", 5))
		hv_hypercall(MINIVMM_HC_EXIT,
			     MINIVMM_EXIT_MAX + 1 + rnd() % 1000, 0);
	else if (!memcmp(end, "pass", 5))
		guest_pass();
	guest_fail("hostile: END %s did not end the run", end);
}

/* "SEED,COUNT[,END]": numbers in decimal. */
static bool parse(const char *v, int n, uint64_t *seed, uint64_t *count,
		  char *end, size_t end_size)
{
	uint64_t *field[2] = {seed, count};
	int i = 0;

	for (int f = 0; f < 2; f++) {
		if (i >= n || v[i] < '0' || v[i] > '9')
			return false;
		for (*field[f] = 0; i < n && v[i] >= '0' && v[i] <= '9'; i++)
			*field[f] = *field[f] * 10 + (uint64_t)(v[i] - '0');
		if (f == 0 && (i >= n || v[i++] != ','))
			return false;
	}
	snprintf(end, end_size, "pass");
	if (i < n && v[i] == ',') {
		int k = 0;

		for (i++; i < n && k + 1 < (int)end_size; i++)
			end[k++] = v[i];
		end[k] = '\0';
	}
	return i == n;
}

static void hostile_run(const struct hvm_start_info *si)
{
	struct minivmm_info info = {0};
	struct tally t = {0};
	uint64_t seed, count;
	char end[16];
	const char *v;
	int n = cmdline_value("hostile", &v);

	(void)si;
	if (n < 0)
		return;
	if (!parse(v, n, &seed, &count, end, sizeof(end)))
		guest_fail("hostile=SEED,COUNT[,END] expected");
	if (!hv_has_hypercalls())
		guest_fail("hostile: needs minivmm's hypercalls");
	if (hv_hypercall(MINIVMM_HC_GET_INFO, (uintptr_t)&info, sizeof(info)) !=
	    sizeof(info))
		guest_fail("hostile: get_info failed");
	rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
	printf("hostile: seed %llu, %llu calls, memory %llu bytes\n",
	       (unsigned long long)seed, (unsigned long long)count,
	       (unsigned long long)info.mem_bytes);
	while (t.calls < count)
		one_call(&t, info.mem_bytes);
	printf("hostile: %llu calls: %llu unknown (ENOSYS), %llu refused "
	       "(EINVAL), %llu answered\n",
	       (unsigned long long)t.calls, (unsigned long long)t.unknown,
	       (unsigned long long)t.refused, (unsigned long long)t.answered);
	printf("hostile: %llu MULTICALLs ran entries, %llu entries run\n",
	       (unsigned long long)t.multicalls, (unsigned long long)t.entries);
	hostile_end(end);
}
/* Before the APIC and the other CPUs: nothing but the calls interrupts. */
BOOT_HOOK(BOOT_TRAPS, 0, hostile_run);
