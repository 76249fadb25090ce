// SPDX-License-Identifier: MIT
/*
 * flatten.c: pvcheck's pass that follows the frame through every stream
 * of a site (cfa.c) and flattens them: an instruction boundary that two
 * streams share must have one stack depth and one place for the start
 * rbp, every stream must end as it began (rsp and rbp back, no register
 * changed that an op site does not allow), and a call inside a site must
 * be at the site's depth. A site that passes gives the unwind table its
 * depths and rbp slots (unwind.c).
 */
#include "pvcheck.h"

static const struct pvc_frame *frame_at(const struct pvc_stream *st,
					unsigned off)
{
	for (unsigned i = 0; i < st->ninsns; i++)
		if (st->insns[i].off == off)
			return &st->insns[i].frame;
	return NULL;
}

/*
 * The unwinder's view of a proven site (unwind.c): one depth at each
 * offset that some stream stops at. A call in a site must be at the
 * site's own depth: the unwinder looks a return address up without the
 * site's rows (docs/unwind.md says why).
 */
static void record_depths(const struct pvc_site *s, const char *kind)
{
	struct pvc_site_at at[PV_MAX_SITE_LEN] = {{0}};
	unsigned before = pvc_errors();

	for (unsigned i = 0; i < s->nstreams; i++)
		for (unsigned k = 0; k < s->streams[i].ninsns; k++) {
			const struct pvc_insn *in = &s->streams[i].insns[k];

			at[in->off].boundary = true;
			at[in->off].depth = in->frame.depth;
			at[in->off].rbp_slot = pvc_frame_rbp_slot(&in->frame);
			at[in->off].rbp_moved |= in->frame.rbp != PVC_RBP_START;
			if (in->call && in->frame.depth != 0)
				pvc_violation(
				    "%s site at %s (%#llx): stream '%s' calls "
				    "at +%u with rsp%+d: a return address "
				    "into a site must be at the site's depth",
				    kind, s->where, (unsigned long long)s->addr,
				    s->streams[i].name, in->off,
				    in->frame.depth);
		}
	if (pvc_errors() == before)
		pvc_unwind_add_site(s->addr, s->rec->instr_len, at);
}

/* Each stream must end as it began: rsp and rbp back, and (an op site)
 * no register changed that the site does not allow. */
static void check_end(const struct pvc_site *s, const char *kind,
		      const struct pvc_stream *st)
{
	char names[64];
	uint16_t extra = st->end.changed & ~s->rec->clobbers;

	if (st->end.depth != 0)
		pvc_violation("%s site at %s (%#llx): stream '%s' leaves rsp "
			      "%+d at the site's end",
			      kind, s->where, (unsigned long long)s->addr,
			      st->name, st->end.depth);
	else if (pvc_frame_rbp_slot(&st->end) != 0)
		pvc_violation("%s site at %s (%#llx): stream '%s' leaves rbp "
			      "changed at the site's end",
			      kind, s->where, (unsigned long long)s->addr,
			      st->name);
	else if (s->rec->kind == PV_KIND_OP && extra)
		pvc_violation("%s site at %s (%#llx): stream '%s' changes %s, "
			      "which the site does not allow (clobbers %#x)",
			      kind, s->where, (unsigned long long)s->addr,
			      st->name,
			      pvc_reg_names(extra, names, sizeof(names)),
			      s->rec->clobbers);
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
		else
			check_end(s, kind, st);
	}
	/* Offset 0 and the end are boundaries of all, at the start frame. */
	for (unsigned off = 1; off < s->rec->instr_len; off++)
		for (unsigned a = 0; a < s->nstreams; a++)
			for (unsigned b = a + 1; b < s->nstreams; b++) {
				const struct pvc_frame *fa =
				    frame_at(&s->streams[a], off);
				const struct pvc_frame *fb =
				    frame_at(&s->streams[b], off);
				char ra[64], rb[64];

				if (!fa || !fb || pvc_frame_same(fa, fb))
					continue;
				if (fa->depth != fb->depth)
					pvc_violation(
					    "%s site at %s (%#llx): stack "
					    "layout conflict in "
					    "alternatives at +%u: '%s' has "
					    "rsp%+d, '%s' has rsp%+d",
					    kind, s->where,
					    (unsigned long long)s->addr, off,
					    s->streams[a].name, fa->depth,
					    s->streams[b].name, fb->depth);
				else
					pvc_violation(
					    "%s site at %s (%#llx): rbp "
					    "conflict in alternatives at +%u: "
					    "'%s' has %s, '%s' has %s",
					    kind, s->where,
					    (unsigned long long)s->addr, off,
					    s->streams[a].name,
					    pvc_frame_rbp(fa, ra, sizeof(ra)),
					    s->streams[b].name,
					    pvc_frame_rbp(fb, rb, sizeof(rb)));
			}
	if (pvc_errors() == before)
		record_depths(s, kind);
}
