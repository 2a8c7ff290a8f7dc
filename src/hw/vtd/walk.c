/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Page walks: second stage (VT-d 3.7, 9.8), first stage in IA-32e format
 * (3.6, 9.7), and nested, where every first-stage table pointer and the
 * first-stage output are guest-physical and go through the second stage
 * (3.8).
 */
#include "vtd.h"
#include "../mem/mem.h"
#include "../../util/compiler.h"

static int fault(struct vtd_fault *f, uint8_t reason, bool qualified)
{
	f->reason = reason;
	f->qualified = qualified;
	return -1;
}

static inline unsigned shift_of(unsigned level)
{
	return 12 + 9 * (level - 1);
}

#define INTR_BASE 0xfee00000ull
#define INTR_END  0xfeefffffull

/*
 * SGN.8: a translation whose output lands in the interrupt address range
 * is blocked (3.14). A large page that only overlaps the range still
 * translates elsewhere, at 4 KiB granularity so that no cached or
 * returned span reaches into it.
 */
static int leaf_out(uint64_t addr, uint64_t base, unsigned *sh, uint64_t *out_base,
		    struct vtd_fault *f)
{
	uint64_t size = 1ull << *sh;
	uint64_t out = base | (addr & (size - 1));
	if (out >= INTR_BASE && out <= INTR_END)
		return fault(f, VTD_FR_SM_INTR_RANGE, true);
	if (base <= INTR_END && base + size - 1 >= INTR_BASE) {
		*sh = 12;
		*out_base = out & VTD_PAGE_MASK;
		return 0;
	}
	*out_base = base;
	return 0;
}

/* ---- second stage ---- */

static uint64_t ss_reserved(const struct vtd_unit *u, unsigned level, bool leaf)
{
	uint64_t r = GENMASK_ULL(51, u->haw) | (1ull << 62);
	if (!leaf)
		r |= VTD_SS_SNP;
	if (level >= 4)
		r |= VTD_SS_PS;
	if (leaf && level > 1)
		r |= GENMASK_ULL(shift_of(level) - 1, 12);
	return r;
}

static bool ss_large_ok(const struct vtd_unit *u, unsigned level)
{
	unsigned sllps = VTD_CAP_SLLPS(u->cap);
	return (level == 2 && (sllps & 1)) || (level == 3 && (sllps & 2));
}

static uint64_t fs_reserved(const struct vtd_unit *u, unsigned level, bool leaf);

void vtd_walk_init(struct vtd_unit *u)
{
	for (unsigned level = 1; level <= 5; level++) {
		for (unsigned leaf = 0; leaf < 2; leaf++) {
			u->ss_rsvd[level][leaf] = ss_reserved(u, level, leaf);
			u->fs_rsvd[level][leaf] = fs_reserved(u, level, leaf);
		}
		u->ss_large[level] = ss_large_ok(u, level);
		u->ss_fast_rsvd[level][0] = u->ss_rsvd[level][0];
		u->ss_fast_rsvd[level][1] = level > 1 && !u->ss_large[level] ? ~0ull :
									  u->ss_rsvd[level][1];
	}
}

#define WALK_RETRIES 16

static int walk_ss_once(struct vtd_unit *u, uint64_t root, unsigned levels, bool ad, uint64_t addr,
			uint8_t perm, bool set_ad, struct vtd_walk *w, struct vtd_fault *f);

int vtd_walk_ss(struct vtd_unit *u, uint64_t root, unsigned levels, bool ad, uint64_t addr,
		uint8_t perm, bool set_ad, struct vtd_walk *w, struct vtd_fault *f)
{
	/* A walk that lost an A/D race to a software update starts over, as
	 * hardware re-reads the entry it failed to update atomically. */
	for (unsigned i = 0; i < WALK_RETRIES; i++) {
		int rc = walk_ss_once(u, root, levels, ad, addr, perm, set_ad, w, f);
		if (rc != 1)
			return rc;
	}
	return fault(f, VTD_FR_SM_SS_ACCESS, true);
}

static int walk_ss_once(struct vtd_unit *u, uint64_t root, unsigned levels, bool ad, uint64_t addr,
			uint8_t perm, bool set_ad, struct vtd_walk *w, struct vtd_fault *f)
{
	unsigned width = shift_of(levels) + 9;
	if (width > VTD_CAP_MGAW(u->cap))
		width = VTD_CAP_MGAW(u->cap);
	if (addr >> width)
		return fault(f, VTD_FR_SM_ADDR_BEYOND, true);
	if ((root & GENMASK_ULL(63, u->haw)) || !hw_pa_valid(root, VTD_PAGE_SIZE))
		return fault(f, VTD_FR_SM_SS_PTR_INVALID, true);

	bool r = true, wr = true;
	uint64_t table = root;
	for (unsigned level = levels; level >= 1; level--) {
		uint64_t pa = table + ((addr >> shift_of(level)) & 511) * 8;
		uint64_t pte;
		if (!hw_read64(pa, &pte))
			return fault(f, VTD_FR_SM_SS_ACCESS, true);
		/* No present bit: an entry is valid iff it grants R or W. */
		if (!(pte & (VTD_SS_R | VTD_SS_W)))
			return fault(f, VTD_FR_SM_SS_NOT_PRESENT, true);
		bool leaf = level == 1 || (pte & VTD_SS_PS);
		if (leaf && level > 1 && !u->ss_large[level])
			return fault(f, VTD_FR_SM_SS_RSVD, true);
		if (pte & u->ss_rsvd[level][leaf])
			return fault(f, VTD_FR_SM_SS_RSVD, true);
		r = r && (pte & VTD_SS_R);
		wr = wr && (pte & VTD_SS_W);

		if (leaf) {
			/* Permissions are checked before A/D are touched: a denied
			 * request must not mark the page accessed or dirty. */
			if ((perm & VTD_PERM_W) && !wr)
				return fault(f, VTD_FR_SM_WRITE, true);
			if ((perm & VTD_PERM_R) && !r)
				return fault(f, VTD_FR_SM_READ, true);
		}
		if (ad && set_ad) {
			uint64_t bits = VTD_SS_A;
			if (leaf && (perm & VTD_PERM_W))
				bits |= VTD_SS_D;
			if ((pte & bits) != bits) {
				int rc = hw_or64(pa, bits, pte);
				if (rc < 0)
					return fault(f, VTD_FR_SM_SS_ACCESS, true);
				if (rc == 0)
					return 1; /* changed under us: retry */
				pte |= bits;
			}
		}
		if (leaf) {
			unsigned sh = shift_of(level);
			if (leaf_out(addr, pte & VTD_SS_ADDR_MASK & ~((1ull << sh) - 1), &sh,
				     &w->out_base, f))
				return -1;
			w->size_shift = (uint8_t)sh;
			w->flags = (r ? VTD_TLBF_R : 0) | (wr ? VTD_TLBF_W : 0) | VTD_TLBF_U |
				   VTD_TLBF_X;
			if (!ad || (pte & VTD_SS_D))
				w->flags |= VTD_TLBF_D;
			return 0;
		}
		table = pte & VTD_SS_ADDR_MASK;
	}
	return fault(f, VTD_FR_SM_SS_ACCESS, true); /* not reached */
}

/* ---- first stage, optionally nested ---- */

static uint64_t fs_reserved(const struct vtd_unit *u, unsigned level, bool leaf)
{
	uint64_t r = GENMASK_ULL(51, u->haw);
	if (level >= 4)
		r |= VTD_FS_PS;
	if (leaf && level > 1)
		r |= GENMASK_ULL(shift_of(level) - 1, 13); /* bit 12 is PAT */
	return r;
}

struct nest {
	struct vtd_unit *u;
	uint64_t root;
	unsigned levels;
	bool ad;
};

/* Translate a guest-physical address of a first-stage structure. */
static int nest_table(const struct nest *n, uint64_t gpa, bool write, bool top, bool set_ad,
		      uint64_t *hpa, struct vtd_fault *f)
{
	struct vtd_walk w;
	uint8_t perm = VTD_PERM_R | (write ? VTD_PERM_W : 0);
	if (vtd_walk_ss(n->u, n->root, n->levels, n->ad, gpa, perm, set_ad, &w, f)) {
		if (f->reason == VTD_FR_SM_ADDR_BEYOND)
			f->reason = VTD_FR_SM_FS_NEST_MGAW;
		else if (f->reason == VTD_FR_SM_WRITE)
			f->reason = VTD_FR_SM_FS_NEST_WR;
		else if (f->reason == VTD_FR_SM_READ || f->reason == VTD_FR_SM_SS_NOT_PRESENT)
			f->reason = top ? VTD_FR_SM_FS_NEST_RD_PTR : VTD_FR_SM_FS_NEST_RD;
		return -1;
	}
	*hpa = w.out_base | (gpa & ((1ull << w.size_shift) - 1));
	return 0;
}

static int walk_fs_once(struct vtd_unit *u, const struct vtd_pasid_entry *pe,
			const struct vtd_req *req, bool set_ad, struct vtd_walk *w,
			struct vtd_fault *f);

int vtd_walk_fs(struct vtd_unit *u, const struct vtd_pasid_entry *pe, const struct vtd_req *req,
		bool set_ad, struct vtd_walk *w, struct vtd_fault *f)
{
	for (unsigned i = 0; i < WALK_RETRIES; i++) {
		int rc = walk_fs_once(u, pe, req, set_ad, w, f);
		if (rc != 1)
			return rc;
	}
	return fault(f, VTD_FR_SM_FS_AD_FAILED, true);
}

static int walk_fs_once(struct vtd_unit *u, const struct vtd_pasid_entry *pe,
			const struct vtd_req *req, bool set_ad, struct vtd_walk *w,
			struct vtd_fault *f)
{
	uint64_t q0 = pe->q[0], q2 = pe->q[2];
	bool nested = VTD_PE0_PGTT(q0) == VTD_PGTT_NESTED;
	unsigned levels = VTD_PE2_FSPM(q2) == 1 ? 5 : 4;
	unsigned width = levels == 5 ? 57 : 48;
	uint64_t addr = req->addr;
	bool write = req->perm & VTD_PERM_W;

	/* Canonical: bits 63:width-1 all equal (3.6). */
	int64_t sx = (int64_t)(addr << (64 - width)) >> (64 - width);
	if ((uint64_t)sx != addr)
		return fault(f, VTD_FR_SM_NON_CANONICAL, true);

	struct nest n = {
		.u = u,
		.root = q0 & VTD_PE0_SSPTPTR_MASK,
		.levels = VTD_PE0_AW(q0) + 2,
		.ad = q0 & VTD_PE0_SSADE,
	};

	uint64_t table = q2 & VTD_PE2_FSPTPTR_MASK;
	bool rw = true, us = true, xd = false;
	for (unsigned level = levels; level >= 1; level--) {
		bool top = level == levels;
		uint64_t gpa = table + ((addr >> shift_of(level)) & 511) * 8;
		uint64_t pa = gpa;
		if (nested && nest_table(&n, gpa & VTD_PAGE_MASK, false, top, set_ad, &pa, f))
			return -1;
		if (nested)
			pa |= gpa & ~VTD_PAGE_MASK;
		uint64_t pte;
		if (!hw_read64(pa, &pte))
			return fault(f, top ? VTD_FR_SM_FS_PTR_ACCESS : VTD_FR_SM_FS_ACCESS, true);
		if (!(pte & VTD_FS_P))
			return fault(f, VTD_FR_SM_FS_P, true);
		bool leaf = level == 1 || (pte & VTD_FS_PS);
		if (leaf && level == 3 && !(u->cap & VTD_CAP_FL1GP))
			return fault(f, VTD_FR_SM_FS_RSVD, true);
		if (pte & u->fs_rsvd[level][leaf])
			return fault(f, VTD_FR_SM_FS_RSVD, true);
		rw = rw && (pte & VTD_FS_RW);
		us = us && (pte & VTD_FS_US);
		xd = xd || (pte & VTD_FS_XD);

		if (leaf) {
			/* 3.6.1: user requests need U/S on every level and R/W for
			 * writes; supervisor writes honour R/W only with WPE. */
			if (!req->priv && !us)
				return fault(f, VTD_FR_SM_US, true);
			if (write && !rw && (!req->priv || (q2 & VTD_PE2_WPE)))
				return fault(f, VTD_FR_SM_WRITE, true);
			if ((req->perm & VTD_PERM_X) &&
			    (xd || (req->priv && us && (q2 & VTD_PE2_SMEP))))
				return fault(f, VTD_FR_SM_NX, true);
		}
		if (set_ad) {
			uint64_t bits = VTD_FS_A | (leaf && write ? VTD_FS_D : 0);
			if ((pte & bits) != bits) {
				/* Nested: the entry is updated through a writable
				 * second-stage mapping, or the walk faults. */
				uint64_t wpa = pa;
				if (nested &&
				    nest_table(&n, gpa & VTD_PAGE_MASK, true, top, true, &wpa, f))
					return -1;
				if (nested)
					wpa |= gpa & ~VTD_PAGE_MASK;
				int rc = hw_or64(wpa, bits, pte);
				if (rc < 0)
					return fault(f, VTD_FR_SM_FS_AD_FAILED, true);
				if (rc == 0)
					return 1; /* changed under us: retry */
				pte |= bits;
			}
		}
		if (leaf) {
			unsigned sh = shift_of(level);
			uint64_t out = pte & VTD_FS_ADDR_MASK & ~((1ull << sh) - 1);
			w->flags = VTD_TLBF_R | (rw ? VTD_TLBF_W : 0) | (us ? VTD_TLBF_U : 0) |
				   (xd ? 0 : VTD_TLBF_X) | ((pte & VTD_FS_D) ? VTD_TLBF_D : 0);
			if (!nested) {
				/* The output is a host address: the interrupt
				 * range check applies here (SGN.8). */
				if (leaf_out(addr, out, &sh, &w->out_base, f))
					return -1;
				w->size_shift = (uint8_t)sh;
				return 0;
			}
			w->size_shift = (uint8_t)sh;
			w->out_base = out;

			/* Nested output: the guest-physical page goes through the
			 * second stage with the request's own permission; the
			 * combined translation is the smaller of the two pages. */
			uint64_t gpa_out = out | (addr & ((1ull << sh) - 1));
			struct vtd_walk s2;
			uint8_t perm = req->perm & (VTD_PERM_R | VTD_PERM_W);
			if (!perm)
				perm = VTD_PERM_R;
			if (vtd_walk_ss(u, n.root, n.levels, n.ad, gpa_out, perm, set_ad, &s2, f))
				return -1;
			unsigned csh = MIN(sh, s2.size_shift);
			uint64_t hpa = s2.out_base | (gpa_out & ((1ull << s2.size_shift) - 1));
			w->out_base = hpa & ~((1ull << csh) - 1);
			w->size_shift = (uint8_t)csh;
			if (!(s2.flags & VTD_TLBF_W))
				w->flags &= (uint8_t)~VTD_TLBF_W;
			if (!(s2.flags & VTD_TLBF_D))
				w->flags &= (uint8_t)~VTD_TLBF_D;
			return 0;
		}
		table = pte & VTD_FS_ADDR_MASK;
	}
	return fault(f, VTD_FR_SM_FS_ACCESS, true); /* not reached */
}
