/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Queued invalidation (VT-d 6.5.2): the unit fetches descriptors from
 * IQH up to IQT and performs them in order (inv_desc.c executes each).
 * Processing runs when software moves the tail, in the writer's thread:
 * the unit is "infinitely fast", which is a legal timing of real hardware.
 *
 * A wait descriptor completes only after every DMA that may still use a
 * translation removed before it has finished (synchronize_dma), which is
 * what lets software free page tables and pages once the status write has
 * landed.
 */
#include "vtd.h"
#include "../mem/mem.h"

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
		unsigned err = vtd_inv_desc_execute(u, q, dw);
		if (err) {
			/* IQH stays on the offending descriptor (6.5.2.10). */
			queue_error(u, err);
			return;
		}
		u->iqh = (u->iqh + dsz) % size;
	}
}
