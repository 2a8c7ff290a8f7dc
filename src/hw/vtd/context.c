/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Root and scalable-mode context entries (VT-d 9.1, 9.2, 9.4) and the
 * context cache that holds them (6.2.1).
 */
#include "vtd.h"
#include "../mem/mem.h"
#include "../../util/compiler.h"

static unsigned cc_index(const struct vtd_unit *u, uint16_t sid)
{
	return (unsigned)((sid * 0x9e3779b1u) >> 16) & u->cc_mask;
}

static int fault(struct vtd_fault *f, uint8_t reason, bool qualified)
{
	f->reason = reason;
	f->qualified = qualified;
	return -1;
}

/* Bits HAW..63 of a table pointer must be zero. */
static uint64_t above_haw(const struct vtd_unit *u)
{
	return ~0ull << u->haw;
}

int vtd_context_fetch(struct vtd_unit *u, uint16_t sid, struct vtd_ctx *ctx, struct vtd_fault *f)
{
	uint64_t rta = atomic_load_explicit(&u->rtaddr, memory_order_acquire);
	uint64_t ttm = rta & VTD_RTADDR_TTM_MASK;
	uint8_t bus = (uint8_t)(sid >> 8), devfn = (uint8_t)sid;

	if (ttm != VTD_RTADDR_TTM_SCALABLE) {
		/* Only scalable-mode tables are modelled; a legacy or reserved
		 * translation table mode makes the root table unusable. */
		if (ttm == VTD_RTADDR_TTM_LEGACY && f->pasid_present)
			return fault(f, VTD_FR_SM_TTM0_PASID, false);
		return fault(f, VTD_FR_SM_RTA_INVALID, false);
	}
	uint64_t root = rta & VTD_PAGE_MASK;
	if ((root & above_haw(u)) || !hw_pa_valid(root, VTD_PAGE_SIZE))
		return fault(f, VTD_FR_SM_RTA_INVALID, false);

	/* Scalable-mode root entry: the lower half covers devfn 0-127, the
	 * upper half 128-255 (9.2). */
	uint64_t re;
	if (!hw_read64(root + bus * 16u + (devfn >= 128 ? 8 : 0), &re))
		return fault(f, VTD_FR_SM_ROOT_ACCESS, false);
	if (!(re & VTD_SM_ROOT_P))
		return fault(f, VTD_FR_SM_ROOT_P, false);
	if (re & (GENMASK_ULL(11, 1) | above_haw(u)))
		return fault(f, VTD_FR_SM_ROOT_RSVD, false);

	uint64_t ce_pa = (re & VTD_PAGE_MASK) + (devfn & 0x7fu) * 32u;
	uint64_t q[4];
	for (unsigned i = 0; i < 4; i++)
		if (!hw_read64(ce_pa + 8 * i, &q[i]))
			return fault(f, VTD_FR_SM_CTX_ACCESS, false);
	if (!(q[0] & VTD_SM_CTX_P))
		return fault(f, VTD_FR_SM_CTX_P, false);
	f->fpd = q[0] & VTD_SM_CTX_FPD;
	/* 9.4: bits 8:5 and the pointer above HAW; RID_PRIV (bit 84) is
	 * reserved without ECAP.RPRIVS; qwords 2-3 are reserved. */
	if ((q[0] & (GENMASK_ULL(8, 5) | above_haw(u))) || (q[1] & GENMASK_ULL(63, 20)) || q[2] ||
	    q[3])
		return fault(f, VTD_FR_SM_CTX_RSVD, false);
	/* A PASID directory pointer must name memory; PRE needs ECAP.PRS,
	 * DTE needs ECAP.DT. */
	if (!hw_pa_valid(q[0] & VTD_PAGE_MASK, VTD_PAGE_SIZE) ||
	    ((q[0] & VTD_SM_CTX_PRE) && !(u->ecap & VTD_ECAP_PRS)) ||
	    ((q[0] & VTD_SM_CTX_DTE) && !(u->ecap & VTD_ECAP_DT)))
		return fault(f, VTD_FR_SM_CTX_INVALID, false);

	ctx->lo = q[0];
	ctx->hi = q[1];
	return 0;
}

int vtd_context_lookup(struct vtd_unit *u, uint16_t sid, struct vtd_ctx *ctx, struct vtd_fault *f,
		       bool fill)
{
	struct vtd_cc_entry *e = &u->cc[cc_index(u, sid)];
	uint64_t want = (1ull << 32) | sid;
	uint64_t s = seq_read_begin(&e->seq);
	uint64_t key = ld64(&e->key), lo = ld64(&e->lo), hi = ld64(&e->hi);
	if (seq_read_ok(&e->seq, s) && key == want) {
		ctx->lo = lo;
		ctx->hi = hi;
		f->fpd = lo & VTD_SM_CTX_FPD;
		stat_inc(&u->st.ctx_hits);
		return 0;
	}
	stat_inc(&u->st.ctx_misses);

	uint64_t gen0 = atomic_load_explicit(&u->inv_gen, memory_order_acquire);
	int rc = vtd_context_fetch(u, sid, ctx, f);
	if (rc || !fill)
		return rc;
	vtd_fill_hook(u, VTD_FILL_CONTEXT);
	/* Only entries read entirely after the last invalidation may be
	 * cached; otherwise the fill could resurrect what it removed. */
	spin_lock(&u->cache_lock);
	if (atomic_load_explicit(&u->inv_gen, memory_order_relaxed) == gen0) {
		seq_write_begin(&e->seq);
		st64(&e->key, want);
		st64(&e->lo, ctx->lo);
		st64(&e->hi, ctx->hi);
		seq_write_end(&e->seq);
	}
	spin_unlock(&u->cache_lock);
	return 0;
}

/* 6.5.2.1: global, or device-selective with a function mask. In scalable
 * mode context entries carry no domain ID, so domain-selective requests
 * are performed as global ones. Caller holds cache_lock. */
void vtd_cc_invalidate(struct vtd_unit *u, bool global, uint16_t sid, unsigned fm)
{
	static const uint16_t fm_mask[4] = { 0, 0x4, 0x6, 0x7 };
	uint16_t keep = (uint16_t)~fm_mask[fm & 3];
	for (unsigned i = 0; i <= u->cc_mask; i++) {
		struct vtd_cc_entry *e = &u->cc[i];
		uint64_t key = ld64(&e->key);
		if (!(key >> 32))
			continue;
		if (!global && ((uint16_t)key & keep) != (sid & keep))
			continue;
		seq_write_begin(&e->seq);
		st64(&e->key, 0);
		seq_write_end(&e->seq);
	}
}
