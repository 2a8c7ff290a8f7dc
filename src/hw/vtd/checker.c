/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checker mode (SPEC H-12). Not a hardware feature: with it on, every
 * translation served from a cache is compared with what a fresh walk of
 * the in-memory tables gives right now. A difference means software
 * changed a structure and did not invalidate - the bug this mode exists
 * to catch - and is reported with what the cache and the tables say.
 */
#include <string.h>

#include "vtd.h"
#include "../../util/compiler.h"

struct fresh {
	bool ok;
	uint64_t out;
	uint8_t perm;
	uint8_t reason;
	const char *missing;
};

/* What the tables say for this request, without touching A/D bits or any
 * cache. */
static void fresh_walk(struct vtd_unit *u, const struct vtd_req *req, struct fresh *r)
{
	struct vtd_fault f = { 0 };
	struct vtd_ctx ctx;
	struct vtd_pasid_entry pe;
	r->ok = false;
	r->out = 0;
	r->perm = 0;
	r->reason = 0;
	r->missing = "context-cache invalidation";

	if (!atomic_load(&u->te)) {
		r->ok = true;
		r->out = req->addr;
		r->perm = VTD_PERM_R | VTD_PERM_W | VTD_PERM_X;
		return;
	}
	if (vtd_context_fetch(u, req->sid, &ctx, &f)) {
		r->reason = f.reason;
		return;
	}
	uint32_t pasid = req->pasid;
	if (pasid == VTD_PASID_NONE)
		pasid = VTD_SM_CTX_RID_PASID(ctx.hi);
	else if (!(ctx.lo & VTD_SM_CTX_PASIDE)) {
		r->reason = VTD_FR_SM_CTX_PASIDE;
		return;
	}
	r->missing = "PASID-cache invalidation";
	if (vtd_pasid_fetch(u, &ctx, pasid, &pe, &f)) {
		r->reason = f.reason;
		return;
	}
	unsigned pgtt = VTD_PE0_PGTT(pe.q[0]);
	struct vtd_walk w;
	int rc;
	if (pgtt == VTD_PGTT_PT) {
		r->ok = true;
		r->out = req->addr;
		r->perm = VTD_PERM_R | VTD_PERM_W | VTD_PERM_X;
		return;
	}
	if (pgtt == VTD_PGTT_SS) {
		r->missing = "IOTLB invalidation (domain- or page-selective)";
		rc = vtd_walk_ss(u, pe.q[0] & VTD_PE0_SSPTPTR_MASK, VTD_PE0_AW(pe.q[0]) + 2, false,
				 req->addr, req->perm, false, &w, &f);
	} else {
		r->missing = "PASID-based IOTLB invalidation";
		rc = vtd_walk_fs(u, &pe, req, false, &w, &f);
	}
	if (rc) {
		r->reason = f.reason;
		return;
	}
	r->ok = true;
	r->out = w.out_base | (req->addr & ((1ull << w.size_shift) - 1));
	r->perm = (w.flags & VTD_TLBF_R ? VTD_PERM_R : 0) | (w.flags & VTD_TLBF_W ? VTD_PERM_W : 0);
}

void vtd_check_hit(struct vtd_unit *u, const struct vtd_req *req, uint64_t out, uint8_t perm,
		   const char *cache)
{
	struct fresh r;
	fresh_walk(u, req, &r);
	if (!strcmp(cache, "device TLB"))
		r.missing = "device-TLB invalidation";
	uint8_t need = req->perm & (VTD_PERM_R | VTD_PERM_W);
	if (r.ok && r.out == out && (r.perm & need) == need)
		return;

	stat_inc(&u->st.stale_hits);
	vtd_checker_fn fn = u->checker_fn;
	if (!fn)
		return;
	struct vtd_stale_report rep = {
		.sid = req->sid,
		.pasid = req->pasid,
		.addr = req->addr,
		.cached_out = out,
		.cached_perm = perm,
		.table_out = r.ok ? r.out : 0,
		.table_perm = r.ok ? r.perm : 0,
		.table_fault = r.reason,
		.cache = cache,
		.missing = r.missing,
	};
	fn(u, &rep, u->checker_opaque);
}
