/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Invalidation descriptors (VT-d 6.5.2.1 - 6.5.2.8, 7.7.1): each type's checks
 * of its reserved fields, and what it does to the unit's caches, the
 * device TLBs behind it, or the device a page-group response is for. The
 * queue that fetches them is qi.c.
 *
 * Every handler returns 0, or the IQEI code of the queue error it raises.
 * All run with the queue's lock held and reg_lock not held (qi.c): a wait
 * descriptor blocks for DMA in flight.
 */
#include "vtd.h"
#include "../machine.h"
#include "../mem/mem.h"
#include "../pci/ats.h"
#include "../pci/pri.h"
#include "../../util/compiler.h"

static bool bad(uint64_t v, uint64_t mask)
{
	return (v & mask) != 0;
}

/* Page-selective: the address aligned to its 2^AM-page range, AM within
 * CAP.MAMV (6.5.2.3). */
static bool psi_ok(const struct vtd_unit *u, uint64_t q1)
{
	unsigned am = VTD_INV_ADDR_AM(q1);
	if (am > VTD_CAP_MAMV(u->cap))
		return false;
	return (VTD_INV_ADDR(q1) & ((VTD_PAGE_SIZE << am) - 1)) == 0;
}

/* 6.5.2.1 */
static unsigned context_cache_inv(struct vtd_unit *u, const uint64_t q[4])
{
	unsigned g = VTD_INV_G(q[0]);
	if (bad(q[0], GENMASK_ULL(8, 6) | GENMASK_ULL(15, 12) | GENMASK_ULL(63, 50)) || q[1] ||
	    g == 0)
		return VTD_IQEI_RSVD;
	spin_lock(&u->cache_lock);
	vtd_cc_invalidate(u, g != VTD_INV_CC_DEVICE, VTD_INV_CC_SID(q[0]), VTD_INV_CC_FM(q[0]));
	vtd_bump_gen(u);
	spin_unlock(&u->cache_lock);
	return 0;
}

/* 6.5.2.3 */
static unsigned iotlb_inv(struct vtd_unit *u, const uint64_t q[4])
{
	unsigned g = VTD_INV_G(q[0]);
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
		changed = vtd_iotlb_flush_range(&u->iotlb, VTD_TLB_SS, did, 0, VTD_INV_ADDR(q[1]),
						VTD_INV_ADDR_AM(q[1]));
		changed |= vtd_iotlb_flush_class(&u->iotlb, VTD_TLB_FS, did);
	}
	/* The engines' micro-TLBs hold only what the IOTLB held: if
	 * nothing of the domain was there, they have nothing of it. */
	if (changed)
		vtd_bump_gen(u);
	spin_unlock(&u->cache_lock);
	return 0;
}

/* 6.5.2.5 / 6.5.2.6: a device-TLB range from ADDR and the S bit. */
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

/* Forwarded to the function's ATC as an ATS invalidation request. */
static void devtlb_forward(struct vtd_unit *u, uint16_t sid, bool no_pasid, uint32_t pasid,
			   bool all_pasids, uint64_t q1, bool s)
{
	uint64_t base, size;
	devtlb_range(q1, s, &base, &size);
	spin_lock(&u->cache_lock);
	vtd_bump_gen(u); /* before the ATC: a racing fill must not survive */
	spin_unlock(&u->cache_lock);
	struct hw_pci_function *d = hw_pci_function_by_rid(u->m, sid);
	if (d && d->atc)
		pci_atc_invalidate(d->atc, no_pasid, pasid, all_pasids, base, size);
}

/* 6.5.2.5 */
static unsigned devtlb_inv(struct vtd_unit *u, const uint64_t q[4])
{
	if (bad(q[0], GENMASK_ULL(8, 4) | GENMASK_ULL(31, 21)) || bad(q[1], GENMASK_ULL(11, 1)))
		return VTD_IQEI_RSVD;
	devtlb_forward(u, VTD_INV_DEVTLB_SID(q[0]), true, VTD_PASID_NONE, false, q[1],
		       q[1] & VTD_INV_DEVTLB_S);
	return 0;
}

/* 6.5.2.6 */
static unsigned pasid_devtlb_inv(struct vtd_unit *u, const uint64_t q[4])
{
	if (bad(q[1], GENMASK_ULL(10, 1)))
		return VTD_IQEI_RSVD;
	devtlb_forward(u, VTD_INV_PDEVTLB_SID(q[0]), false, VTD_INV_PASID(q[0]),
		       q[1] & VTD_INV_PDEVTLB_G, q[1], q[1] & VTD_INV_PDEVTLB_S);
	return 0;
}

/* 6.5.2.8: completes only once no DMA can use what was invalidated
 * before it (synchronize_dma), then writes the status and/or raises the
 * completion interrupt. */
static unsigned inv_wait(struct vtd_unit *u, const uint64_t q[4])
{
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
		spin_lock(&u->reg_lock);
		if (!(u->ics & VTD_ICS_IWC)) {
			u->ics |= VTD_ICS_IWC;
			vtd_raise_irq_locked(u, VTD_IRQ_INV_COMPLETE);
		}
		spin_unlock(&u->reg_lock);
	}
	return 0;
}

/* 6.5.2.4: never touches second-stage-only or pass-through entries. */
static unsigned pasid_iotlb_inv(struct vtd_unit *u, const uint64_t q[4])
{
	unsigned g = VTD_INV_G(q[0]);
	if (bad(q[0], GENMASK_ULL(8, 6) | GENMASK_ULL(15, 12) | GENMASK_ULL(63, 52)) ||
	    bad(q[1], GENMASK_ULL(11, 7)) ||
	    (g != VTD_INV_PIOTLB_ALL_IN_PASID && g != VTD_INV_PIOTLB_PSI))
		return VTD_IQEI_RSVD;
	if (g == VTD_INV_PIOTLB_PSI && !psi_ok(u, q[1]))
		return VTD_IQEI_RSVD;
	uint16_t did = VTD_INV_DID(q[0]);
	uint32_t pasid = VTD_INV_PASID(q[0]);
	spin_lock(&u->cache_lock);
	bool changed;
	if (g == VTD_INV_PIOTLB_ALL_IN_PASID)
		changed = vtd_iotlb_flush_pasid(&u->iotlb, did, pasid);
	else
		changed = vtd_iotlb_flush_range(&u->iotlb, VTD_TLB_FS, did, pasid,
						VTD_INV_ADDR(q[1]), VTD_INV_ADDR_AM(q[1]));
	if (changed)
		vtd_bump_gen(u);
	spin_unlock(&u->cache_lock);
	return 0;
}

/* 6.5.2.2 */
static unsigned pasid_cache_inv(struct vtd_unit *u, const uint64_t q[4])
{
	unsigned g = VTD_INV_G(q[0]);
	if (bad(q[0], GENMASK_ULL(8, 6) | GENMASK_ULL(15, 12) | GENMASK_ULL(63, 52)) || q[1] ||
	    g == 2)
		return VTD_IQEI_RSVD;
	spin_lock(&u->cache_lock);
	vtd_pc_invalidate(u, g, VTD_INV_DID(q[0]), VTD_INV_PASID(q[0]));
	vtd_bump_gen(u);
	spin_unlock(&u->cache_lock);
	return 0;
}

/* 7.7.1: handed to the device as a PRG response message. */
static unsigned page_group_resp(struct vtd_unit *u, const uint64_t q[4])
{
	if (bad(q[0], GENMASK_ULL(8, 6) | GENMASK_ULL(63, 52)) ||
	    bad(q[1], GENMASK_ULL(1, 0) | GENMASK_ULL(63, 12)))
		return VTD_IQEI_RSVD;
	struct hw_pci_function *d = hw_pci_function_by_rid(u->m, VTD_INV_PGRP_RID(q[0]));
	if (d)
		pci_prg_response(d, VTD_INV_PASID(q[0]), q[0] & VTD_INV_PGRP_PP,
				 VTD_INV_PGRP_PRGI(q[1]), VTD_INV_PGRP_RC(q[0]));
	return 0;
}

/* 6.5.2.7: interrupt remapping is not implemented (H-11), nothing is
 * cached. */
static unsigned iec_inv(struct vtd_unit *u, const uint64_t q[4])
{
	(void)u;
	(void)q;
	return 0;
}

unsigned vtd_inv_desc_execute(struct vtd_unit *u, const uint64_t q[4], bool dw)
{
	unsigned type = VTD_INV_TYPE(q[0]);
	bool wide_only = type == VTD_INV_PIOTLB || type == VTD_INV_PC || type == VTD_INV_PDEVTLB ||
			 type == VTD_INV_PGRP_RESP;
	if (wide_only && !dw)
		return VTD_IQEI_WIDTH;
	/* 256-bit forms of the 128-bit descriptors keep qwords 2-3 zero;
	 * a page-group response carries private data there. */
	if (dw && type != VTD_INV_PGRP_RESP && (q[2] || q[3]))
		return VTD_IQEI_RSVD;

	switch (type) {
	case VTD_INV_CC: return context_cache_inv(u, q);
	case VTD_INV_IOTLB: return iotlb_inv(u, q);
	case VTD_INV_DEVTLB: return devtlb_inv(u, q);
	case VTD_INV_IEC: return iec_inv(u, q);
	case VTD_INV_WAIT: return inv_wait(u, q);
	case VTD_INV_PIOTLB: return pasid_iotlb_inv(u, q);
	case VTD_INV_PC: return pasid_cache_inv(u, q);
	case VTD_INV_PDEVTLB: return pasid_devtlb_inv(u, q);
	case VTD_INV_PGRP_RESP: return page_group_resp(u, q);
	default: return VTD_IQEI_TYPE;
	}
}
