/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Queued invalidation (VT-d 6.5.2): the unit fetches descriptors from
 * IQH up to IQT and performs them in order. Processing runs when software
 * moves the tail, in the writer's thread: the unit is "infinitely fast",
 * which is a legal timing of real hardware.
 *
 * A wait descriptor completes only after every DMA that may still use a
 * translation removed before it has finished (synchronize_dma), which is
 * what lets software free page tables and pages once the status write has
 * landed.
 */
#include "vtd.h"
#include "../machine.h"
#include "../mem/mem.h"
#include "../pci/ats.h"
#include "../pci/pri.h"
#include "../../util/compiler.h"

/* Reserved fields per descriptor type: {qw0 mask, qw1 mask}. */
struct rsvd {
	uint64_t q0, q1;
};

static bool bad(uint64_t v, uint64_t mask)
{
	return (v & mask) != 0;
}

static void queue_error(struct vtd_unit *u, unsigned iqei)
{
	u->iqer = (u->iqer & ~0xfull) | (iqei & 0xf);
	bool had = u->fsts & (VTD_FSTS_PFO | VTD_FSTS_IQE);
	for (unsigned i = 0; i < u->cfg.nfr && !had; i++)
		had = u->frcd[2 * i + 1] & VTD_FRCD_HI_F;
	u->fsts |= VTD_FSTS_IQE;
	if (!had)
		vtd_raise_irq_locked(u, VTD_IRQ_FAULT);
}

static bool psi_ok(const struct vtd_unit *u, uint64_t q1)
{
	unsigned am = VTD_INV_ADDR_AM(q1);
	if (am > VTD_CAP_MAMV(u->cap))
		return false;
	/* The address must be aligned to the 2^AM-page range (6.5.2.3). */
	return (VTD_INV_ADDR(q1) & ((VTD_PAGE_SIZE << am) - 1)) == 0;
}

/* 6.5.2.4 / 6.5.2.6: a device-TLB range from ADDR and the S bit. */
static void devtlb_range(uint64_t q1, bool s, uint64_t *base, uint64_t *size)
{
	uint64_t addr = q1 & VTD_PAGE_MASK;
	if (!s) {
		*base = addr;
		*size = VTD_PAGE_SIZE;
		return;
	}
	unsigned ones = (unsigned)__builtin_ctzll(~(addr >> VTD_PAGE_SHIFT));
	if (ones >= 51) {
		*base = 0;
		*size = 0; /* everything */
		return;
	}
	*size = VTD_PAGE_SIZE << (ones + 1);
	*base = addr & ~(*size - 1);
}

/* Returns 0, or an IQEI code. */
static unsigned do_desc(struct vtd_unit *u, const uint64_t q[4], bool dw)
{
	unsigned type = VTD_INV_TYPE(q[0]);
	unsigned g = VTD_INV_G(q[0]);
	bool wide_only = type == VTD_INV_PIOTLB || type == VTD_INV_PC || type == VTD_INV_PDEVTLB ||
			 type == VTD_INV_PGRP_RESP;
	if (wide_only && !dw)
		return VTD_IQEI_WIDTH;
	/* 256-bit forms of the 128-bit descriptors keep qwords 2-3 zero;
	 * a page-group response carries private data there. */
	if (dw && type != VTD_INV_PGRP_RESP && (q[2] || q[3]))
		return VTD_IQEI_RSVD;

	switch (type) {
	case VTD_INV_CC:
		if (bad(q[0], GENMASK_ULL(8, 6) | GENMASK_ULL(15, 12) | GENMASK_ULL(63, 50)) || q[1] ||
		    g == 0)
			return VTD_IQEI_RSVD;
		spin_lock(&u->cache_lock);
		vtd_cc_invalidate(u, g != VTD_INV_CC_DEVICE, VTD_INV_CC_SID(q[0]), VTD_INV_CC_FM(q[0]));
		vtd_bump_gen_locked(u);
		spin_unlock(&u->cache_lock);
		return 0;

	case VTD_INV_IOTLB: {
		if (bad(q[0], (1ull << 8) | GENMASK_ULL(15, 12) | GENMASK_ULL(63, 32)) ||
		    bad(q[1], GENMASK_ULL(11, 7)) || g == 0)
			return VTD_IQEI_RSVD;
		uint16_t did = VTD_INV_DID(q[0]);
		if (g == VTD_INV_IOTLB_PSI && !psi_ok(u, q[1]))
			return VTD_IQEI_RSVD;
		spin_lock(&u->cache_lock);
		bool changed = true;
		if (g == VTD_INV_IOTLB_GLOBAL) {
			vtd_iotlb_flush_all(&u->iotlb);
		} else if (g == VTD_INV_IOTLB_DSI) {
			changed = vtd_iotlb_flush_class(&u->iotlb, VTD_TLB_SS, did);
			changed |= vtd_iotlb_flush_class(&u->iotlb, VTD_TLB_FS, did);
		} else {
			/* Page-selective: second-stage entries in the range, and
			 * every first-stage/nested entry of the domain (6.5.2.3). */
			changed = vtd_iotlb_flush_range(&u->iotlb, VTD_TLB_SS, did, 0,
							VTD_INV_ADDR(q[1]), VTD_INV_ADDR_AM(q[1]));
			changed |= vtd_iotlb_flush_class(&u->iotlb, VTD_TLB_FS, did);
		}
		/* The engines' micro-TLBs hold only what the IOTLB held: if
		 * nothing of the domain was there, they have nothing of it. */
		if (changed)
			vtd_bump_gen_locked(u);
		spin_unlock(&u->cache_lock);
		return 0;
	}

	case VTD_INV_DEVTLB:
	case VTD_INV_PDEVTLB: {
		uint16_t sid;
		uint32_t pasid = VTD_PASID_NONE;
		bool all_pasids = false, s;
		if (type == VTD_INV_DEVTLB) {
			if (bad(q[0], GENMASK_ULL(8, 4) | GENMASK_ULL(31, 21)) ||
			    bad(q[1], GENMASK_ULL(11, 1)))
				return VTD_IQEI_RSVD;
			sid = VTD_INV_DEVTLB_SID(q[0]);
			s = q[1] & VTD_INV_DEVTLB_S;
		} else {
			if (bad(q[1], GENMASK_ULL(10, 1)))
				return VTD_IQEI_RSVD;
			sid = VTD_INV_PDEVTLB_SID(q[0]);
			pasid = VTD_INV_PASID(q[0]);
			all_pasids = q[1] & VTD_INV_PDEVTLB_G;
			s = q[1] & VTD_INV_PDEVTLB_S;
		}
		uint64_t base, size;
		devtlb_range(q[1], s, &base, &size);
		spin_lock(&u->cache_lock);
		vtd_bump_gen_locked(u); /* before the ATC: a racing fill must not survive */
		spin_unlock(&u->cache_lock);
		struct hw_pci_function *d = hw_pci_function_by_rid(u->m, sid);
		if (d && d->atc)
			pci_atc_invalidate(d->atc, type == VTD_INV_DEVTLB, pasid, all_pasids, base, size);
		return 0;
	}

	case VTD_INV_IEC:
		/* Interrupt remapping is not implemented (H-11): nothing cached. */
		return 0;

	case VTD_INV_WAIT: {
		uint64_t rsvd = (1ull << 8) | GENMASK_ULL(31, 12);
		if (!(u->ecap & VTD_ECAP_PDS))
			rsvd |= VTD_INV_WAIT_PD;
		if (bad(q[0], rsvd) || bad(q[1], 3))
			return VTD_IQEI_RSVD;
		stat_inc(&u->st.inv_waits);
		synchronize_dma(&u->m->dma_rcu);
		if (q[0] & VTD_INV_WAIT_SW) {
			if (!hw_write32(VTD_INV_WAIT_ADDR(q[1]), VTD_INV_WAIT_DATA(q[0])))
				return VTD_IQEI_FETCH;
		}
		if (q[0] & VTD_INV_WAIT_IF) {
			if (!(u->ics & VTD_ICS_IWC)) {
				u->ics |= VTD_ICS_IWC;
				vtd_raise_irq_locked(u, VTD_IRQ_INV_COMPLETE);
			}
		}
		return 0;
	}

	case VTD_INV_PIOTLB: {
		if (bad(q[0], GENMASK_ULL(8, 6) | GENMASK_ULL(15, 12) | GENMASK_ULL(63, 52)) ||
		    bad(q[1], GENMASK_ULL(11, 7)) ||
		    (g != VTD_INV_PIOTLB_ALL_IN_PASID && g != VTD_INV_PIOTLB_PSI))
			return VTD_IQEI_RSVD;
		if (g == VTD_INV_PIOTLB_PSI && !psi_ok(u, q[1]))
			return VTD_IQEI_RSVD;
		uint16_t did = VTD_INV_DID(q[0]);
		uint32_t pasid = VTD_INV_PASID(q[0]);
		/* Never touches second-stage-only or pass-through entries. */
		spin_lock(&u->cache_lock);
		bool changed;
		if (g == VTD_INV_PIOTLB_ALL_IN_PASID)
			changed = vtd_iotlb_flush_pasid(&u->iotlb, did, pasid);
		else
			changed = vtd_iotlb_flush_range(&u->iotlb, VTD_TLB_FS, did, pasid,
							VTD_INV_ADDR(q[1]), VTD_INV_ADDR_AM(q[1]));
		if (changed)
			vtd_bump_gen_locked(u);
		spin_unlock(&u->cache_lock);
		return 0;
	}

	case VTD_INV_PC:
		if (bad(q[0], GENMASK_ULL(8, 6) | GENMASK_ULL(15, 12) | GENMASK_ULL(63, 52)) || q[1] ||
		    g == 2)
			return VTD_IQEI_RSVD;
		spin_lock(&u->cache_lock);
		vtd_pc_invalidate(u, g, VTD_INV_DID(q[0]), VTD_INV_PASID(q[0]));
		vtd_bump_gen_locked(u);
		spin_unlock(&u->cache_lock);
		return 0;

	case VTD_INV_PGRP_RESP: {
		if (bad(q[0], GENMASK_ULL(8, 6) | GENMASK_ULL(63, 52)) ||
		    bad(q[1], GENMASK_ULL(1, 0) | GENMASK_ULL(63, 12)))
			return VTD_IQEI_RSVD;
		struct hw_pci_function *d = hw_pci_function_by_rid(u->m, VTD_INV_PGRP_RID(q[0]));
		if (d)
			pci_prg_response(d, VTD_INV_PASID(q[0]), q[0] & VTD_INV_PGRP_PP,
					 VTD_INV_PGRP_PRGI(q[1]), VTD_INV_PGRP_RC(q[0]));
		return 0;
	}

	default:
		return VTD_IQEI_TYPE;
	}
}

void vtd_qi_process_locked(struct vtd_unit *u)
{
	if (!(u->gsts & VTD_GSTS_QIES) || (u->fsts & VTD_FSTS_IQE))
		return;
	bool dw = u->iqa & VTD_IQA_DW;
	uint64_t size = VTD_PAGE_SIZE << VTD_IQA_QS(u->iqa);
	uint64_t base = u->iqa & VTD_IQA_ADDR_MASK;
	unsigned dsz = dw ? 32 : 16;

	if (dw && (u->iqt & 0x10)) {
		queue_error(u, VTD_IQEI_TAIL_ALIGN);
		return;
	}
	if (u->iqt >= size) {
		queue_error(u, VTD_IQEI_TAIL);
		return;
	}
	while (u->iqh != u->iqt) {
		uint64_t q[4] = { 0 };
		for (unsigned i = 0; i < dsz / 8; i++) {
			if (!hw_read64(base + u->iqh + 8 * i, &q[i])) {
				queue_error(u, VTD_IQEI_FETCH);
				return;
			}
		}
		stat_inc(&u->st.inv_desc);
		unsigned err = do_desc(u, q, dw);
		if (err) {
			/* IQH stays on the offending descriptor (6.5.2.10). */
			queue_error(u, err);
			return;
		}
		u->iqh = (u->iqh + dsz) % size;
	}
}
