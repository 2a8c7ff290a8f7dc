/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Primary fault logging (VT-d 7.2.1): faults are written into the fault
 * recording registers in a circular fashion; a record stays until
 * software clears its F bit; with the next slot still pending the fault is
 * lost and FSTS.PFO set. A fault event is signalled when a new condition
 * appears while none of PPF, PFO, IQE was already pending (7.3).
 *
 * Faults are not collapsed per requester: every fault that finds a free
 * record is logged, which keeps a fault storm visible in the log.
 */
#include "vtd.h"

static uint32_t pending_conditions(const struct vtd_unit *u)
{
	uint32_t v = u->fsts & (VTD_FSTS_PFO | VTD_FSTS_IQE);
	for (unsigned i = 0; i < u->cfg.nfr; i++)
		if (u->frcd[2 * i + 1] & VTD_FRCD_HI_F)
			return v | VTD_FSTS_PPF;
	return v;
}

void vtd_record_fault(struct vtd_unit *u, const struct vtd_fault *f)
{
	/* FPD suppresses qualified faults only (7.1.2). */
	if (f->qualified && f->fpd) {
		atomic_fetch_add_explicit(&u->st.faults_suppressed, 1, memory_order_relaxed);
		return;
	}
	atomic_fetch_add_explicit(&u->st.faults, 1, memory_order_relaxed);

	spin_lock(&u->reg_lock);
	bool had = pending_conditions(u) != 0;
	unsigned slot = u->frcd_next;
	if ((u->fsts & VTD_FSTS_PFO) || (u->frcd[2 * slot + 1] & VTD_FRCD_HI_F)) {
		atomic_fetch_add_explicit(&u->st.faults_overflow, 1, memory_order_relaxed);
		u->fsts |= VTD_FSTS_PFO;
	} else {
		uint64_t hi = f->sid;
		if (f->priv)
			hi |= VTD_FRCD_HI_PRIV;
		if (f->exec)
			hi |= VTD_FRCD_HI_EXE;
		if (f->pasid_present)
			hi |= VTD_FRCD_HI_PP | ((uint64_t)(f->pasid & 0xfffff) << 40);
		hi |= (uint64_t)f->reason << 32;
		hi |= (uint64_t)(f->at & 3) << 60;
		if (!f->write)
			hi |= VTD_FRCD_HI_T;
		hi |= VTD_FRCD_HI_F;
		u->frcd[2 * slot] = f->addr & VTD_PAGE_MASK;
		u->frcd[2 * slot + 1] = hi;
		u->frcd_next = (slot + 1) % u->cfg.nfr;
	}
	if (!had)
		vtd_raise_irq_locked(u, VTD_IRQ_FAULT);
	spin_unlock(&u->reg_lock);
	vtd_send_pending_irqs(u);
}
