/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PASID directory and PASID table entries (VT-d 9.5, 9.6) and the PASID
 * cache (6.2.2). The cache is tagged by the requester and PASID for lookup
 * and matched on the cached entry's domain ID for invalidation.
 */
#include "vtd.h"
#include "../mem/mem.h"
#include "../../util/compiler.h"

#define PC_VALID   (1ull << 63)
#define PC_DIR_FPD (1ull << 62)

static unsigned pc_index(const struct vtd_unit *u, uint16_t sid, uint32_t pasid)
{
	uint64_t h = ((uint64_t)pasid * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)sid * 0xc2b2ae3d27d4eb4full);
	return (unsigned)(h >> 40) & u->pc_mask;
}

static int fault(struct vtd_fault *f, uint8_t reason, bool qualified)
{
	f->reason = reason;
	f->qualified = qualified;
	return -1;
}

/* Is the PASID entry's translation type and format one this unit does? */
static int check_entry(const struct vtd_unit *u, const uint64_t q[8], struct vtd_fault *f)
{
	uint64_t haw = ~0ull << u->haw;
	unsigned pgtt = VTD_PE0_PGTT(q[0]);

	/* Reserved: qword 0 bits 11:10, qword 1 bits 22:16, qword 2 bits
	 * 11:8, pointers above HAW, qwords 3..7 entirely (9.6). */
	if ((q[0] & GENMASK_ULL(11, 10)) || (q[1] & GENMASK_ULL(22, 16)) ||
	    (q[2] & GENMASK_ULL(11, 8)) || q[3] || q[4] || q[5] || q[6] || q[7])
		return fault(f, VTD_FR_SM_PTE_RSVD, false);

	bool uses_ss = pgtt == VTD_PGTT_SS || pgtt == VTD_PGTT_NESTED;
	bool uses_fs = pgtt == VTD_PGTT_FS || pgtt == VTD_PGTT_NESTED;
	if (uses_ss && (q[0] & VTD_PE0_SSPTPTR_MASK & haw))
		return fault(f, VTD_FR_SM_PTE_RSVD, false);
	if (uses_fs && (q[2] & VTD_PE2_FSPTPTR_MASK & haw))
		return fault(f, VTD_FR_SM_PTE_RSVD, false);

	switch (pgtt) {
	case VTD_PGTT_FS:
		if (!(u->ecap & VTD_ECAP_FLTS))
			return fault(f, VTD_FR_SM_PTE_INVALID, true);
		break;
	case VTD_PGTT_SS:
		if (!(u->ecap & VTD_ECAP_SLTS))
			return fault(f, VTD_FR_SM_PTE_INVALID, true);
		break;
	case VTD_PGTT_NESTED:
		if (!(u->ecap & VTD_ECAP_NEST))
			return fault(f, VTD_FR_SM_PTE_INVALID, true);
		break;
	case VTD_PGTT_PT:
		if (!(u->ecap & VTD_ECAP_PT))
			return fault(f, VTD_FR_SM_PTE_INVALID, true);
		break;
	default:
		return fault(f, VTD_FR_SM_PTE_INVALID, true);
	}
	if (uses_ss) {
		unsigned aw = VTD_PE0_AW(q[0]);
		if (aw < 1 || aw > 3 || !(VTD_CAP_SAGAW(u->cap) & (1u << aw)))
			return fault(f, VTD_FR_SM_PTE_INVALID, true);
		if ((q[0] & VTD_PE0_SSADE) && !(u->ecap & VTD_ECAP_SLADS))
			return fault(f, VTD_FR_SM_PTE_INVALID, true);
	}
	if (uses_fs) {
		unsigned fspm = VTD_PE2_FSPM(q[2]);
		if (fspm > 1 || (fspm == 1 && !(u->cap & VTD_CAP_FL5LP)))
			return fault(f, VTD_FR_SM_PTE_INVALID, true);
	}
	return 0;
}

int vtd_pasid_fetch(struct vtd_unit *u, const struct vtd_ctx *ctx, uint32_t pasid,
		    struct vtd_pasid_entry *pe, struct vtd_fault *f)
{
	uint32_t dir_entries = 1u << (VTD_SM_CTX_PDTS(ctx->lo) + 7);
	uint32_t di = pasid >> VTD_PASID_PDE_SHIFT;
	if (pasid >> u->cfg.pasid_bits || di >= dir_entries)
		return fault(f, VTD_FR_SM_CTX_PASID_MAX, true);

	uint64_t de;
	if (!hw_read64((ctx->lo & VTD_PAGE_MASK) + di * 8u, &de))
		return fault(f, VTD_FR_SM_PDE_ACCESS, false);
	/* FPD in a directory entry counts even when it is not present. */
	if (de & VTD_PASID_DIR_FPD)
		f->fpd = true;
	if (!(de & VTD_PASID_DIR_P))
		return fault(f, VTD_FR_SM_PDE_P, true);
	if (de & (GENMASK_ULL(11, 2) | (~0ull << u->haw)))
		return fault(f, VTD_FR_SM_PDE_RSVD, false);

	uint64_t pte_pa = (de & VTD_PAGE_MASK) + (pasid & 0x3fu) * 64u;
	uint64_t q[8];
	for (unsigned i = 0; i < 8; i++)
		if (!hw_read64(pte_pa + 8 * i, &q[i]))
			return fault(f, VTD_FR_SM_PTE_ACCESS, false);
	/* Software tears entries down leaving FPD set, to keep faults from a
	 * quiescing device quiet; honour it on a non-present entry too. */
	if (q[0] & VTD_PE0_FPD)
		f->fpd = true;
	if (!(q[0] & VTD_PE0_P))
		return fault(f, VTD_FR_SM_PTE_P, true);
	if (check_entry(u, q, f))
		return -1;

	pe->q[0] = q[0];
	pe->q[1] = q[1];
	pe->q[2] = q[2];
	pe->dir_fpd = de & VTD_PASID_DIR_FPD;
	return 0;
}

int vtd_pasid_lookup(struct vtd_unit *u, uint16_t sid, const struct vtd_ctx *ctx, uint32_t pasid,
		     struct vtd_pasid_entry *pe, struct vtd_fault *f, bool fill)
{
	struct vtd_pc_entry *e = &u->pc[pc_index(u, sid, pasid)];
	uint64_t want = PC_VALID | ((uint64_t)pasid << 32) | sid;
	uint64_t s = seq_read_begin(&e->seq);
	uint64_t key = ld64(&e->key), q0 = ld64(&e->q[0]), q1 = ld64(&e->q[1]),
		 q2 = ld64(&e->q[2]);
	if (seq_read_ok(&e->seq, s) && (key & ~PC_DIR_FPD) == want) {
		pe->q[0] = q0;
		pe->q[1] = q1;
		pe->q[2] = q2;
		pe->dir_fpd = key & PC_DIR_FPD;
		if (pe->dir_fpd || (q0 & VTD_PE0_FPD))
			f->fpd = true;
		stat_inc(&u->st.pasid_hits);
		return 0;
	}
	stat_inc(&u->st.pasid_misses);

	uint64_t gen0 = atomic_load_explicit(&u->inv_gen, memory_order_acquire);
	int rc = vtd_pasid_fetch(u, ctx, pasid, pe, f);
	if (rc || !fill)
		return rc;
	vtd_fill_hook(u, VTD_FILL_PASID);
	spin_lock(&u->cache_lock);
	if (atomic_load_explicit(&u->inv_gen, memory_order_relaxed) == gen0) {
		uint64_t old = ld64(&e->key);
		if (old & PC_VALID)
			u->pc_did_count[VTD_PE1_DID(ld64(&e->q[1]))]--;
		u->pc_did_count[VTD_PE1_DID(pe->q[1])]++;
		seq_write_begin(&e->seq);
		st64(&e->key, want | (pe->dir_fpd ? PC_DIR_FPD : 0));
		st64(&e->q[0], pe->q[0]);
		st64(&e->q[1], pe->q[1]);
		st64(&e->q[2], pe->q[2]);
		seq_write_end(&e->seq);
	}
	spin_unlock(&u->cache_lock);
	return 0;
}

/* 6.5.2.5: domain-selective (g=0), PASID-selective within a domain
 * (g=1), or global (g=3). Caller holds cache_lock. A domain with nothing
 * cached is not searched for: tearing down one of 65,536 PASID entries
 * must not cost a walk of the whole cache. */
void vtd_pc_invalidate(struct vtd_unit *u, unsigned g, uint16_t did, uint32_t pasid)
{
	if (g != VTD_INV_PC_GLOBAL && !u->pc_did_count[did])
		return;
	for (unsigned i = 0; i <= u->pc_mask; i++) {
		struct vtd_pc_entry *e = &u->pc[i];
		uint64_t key = ld64(&e->key);
		if (!(key & PC_VALID))
			continue;
		if (g != VTD_INV_PC_GLOBAL) {
			if (VTD_PE1_DID(ld64(&e->q[1])) != did)
				continue;
			if (g == VTD_INV_PC_PASID && ((key >> 32) & 0xfffff) != pasid)
				continue;
		}
		u->pc_did_count[VTD_PE1_DID(ld64(&e->q[1]))]--;
		seq_write_begin(&e->seq);
		st64(&e->key, 0);
		seq_write_end(&e->seq);
	}
}
