// SPDX-License-Identifier: MIT
/*
 * flatten.c: pvcheck's pass that follows the CFA through every stream of
 * a site (cfa.c) and flattens them: an instruction boundary that two
 * streams share must have one stack depth, every stream must end where
 * it began, and a call inside a site must be at the site's depth. A site
 * that passes gives the unwind table its depths (unwind.c).
 */
#include "pvcheck.h"

static int depth_at(const struct pvc_stream *st, unsigned off, bool *found)
{
	*found = false;
	for (unsigned i = 0; i < st->ninsns; i++)
		if (st->insns[i].off == off) {
			*found = true;
			return st->insns[i].depth;
		}
	return 0;
}

/*
 * The unwinder's view of a proven site (unwind.c): one depth at each
 * offset that some stream stops at. A call in a site must be at the
 * site's own depth: the unwinder looks a return address up without the
 * site's rows (docs/unwind.md says why).
 */
static void record_depths(const struct pvc_site *s, const char *kind)
{
	int depth[PV_MAX_SITE_LEN] = {0};
	bool boundary[PV_MAX_SITE_LEN] = {false};
	unsigned before = pvc_errors();

	for (unsigned i = 0; i < s->nstreams; i++)
		for (unsigned k = 0; k < s->streams[i].ninsns; k++) {
			const struct pvc_insn *in = &s->streams[i].insns[k];

			boundary[in->off] = true;
			depth[in->off] = in->depth;
			if (in->call && in->depth != 0)
				pvc_violation(
				    "%s site at %s (%#llx): stream '%s' calls "
				    "at +%u with rsp%+d: a return address "
				    "into a site must be at the site's depth",
				    kind, s->where, (unsigned long long)s->addr,
				    s->streams[i].name, in->off, in->depth);
		}
	if (pvc_errors() == before)
		pvc_unwind_add_site(s->addr, s->rec->instr_len, depth,
				    boundary);
}

void pvc_flatten(struct pvc_site *s)
{
	unsigned before = pvc_errors();

	const char *kind = s->rec->kind == PV_KIND_OP ? pv_op_name(s->rec->key)
			   : s->rec->kind == PV_KIND_FEATURE ? "alternative"
							     : "callback";

	for (unsigned i = 0; i < s->nstreams; i++) {
		struct pvc_stream *st = &s->streams[i];
		const char *why = pvc_follow(st, s->addr);

		if (why)
			pvc_violation("%s site at %s (%#llx): stream '%s': %s",
				      kind, s->where,
				      (unsigned long long)s->addr, st->name,
				      why);
		else if (st->end_depth != 0)
			pvc_violation(
			    "%s site at %s (%#llx): stream '%s' leaves rsp "
			    "%+d at the site's end",
			    kind, s->where, (unsigned long long)s->addr,
			    st->name, st->end_depth);
	}
	/* Offset 0 and the end are boundaries of all, at depth 0. */
	for (unsigned off = 1; off < s->rec->instr_len; off++)
		for (unsigned a = 0; a < s->nstreams; a++)
			for (unsigned b = a + 1; b < s->nstreams; b++) {
				bool fa, fb;
				int da = depth_at(&s->streams[a], off, &fa);
				int db = depth_at(&s->streams[b], off, &fb);

				if (fa && fb && da != db)
					pvc_violation(
					    "%s site at %s (%#llx): stack "
					    "layout conflict in "
					    "alternatives at +%u: '%s' has "
					    "rsp%+d, '%s' has rsp%+d",
					    kind, s->where,
					    (unsigned long long)s->addr, off,
					    s->streams[a].name, da,
					    s->streams[b].name, db);
			}
	if (pvc_errors() == before)
		record_depths(s, kind);
}
