/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Page request queue (VT-d 7.5): page requests from PRI-capable devices
 * are written as 32-byte descriptors at PQT; software consumes them from
 * PQH and answers each page group with a page-group response descriptor
 * through the invalidation queue (qi.c).
 */
#include "vtd.h"
#include "../machine.h"
#include "../mem/mem.h"
#include "../pci/pri.h"

/* A request the queue cannot take (full, or no memory behind it): with
 * PRO set the unit drops every request until software clears it, even
 * once there is room again (7.5.2). A dropped last request of a group is
 * answered by the unit itself with Success, so the device retries and does
 * not wait for a response that can never come (7.5.1). Called with
 * reg_lock held; drops it. */
static int dropped(struct vtd_unit *u, const struct vtd_page_req *r, enum vtd_prq_result *res)
{
	u->prs |= VTD_PRS_PRO;
	atomic_fetch_add_explicit(&u->st.prq_overflow, 1, memory_order_relaxed);
	spin_unlock(&u->reg_lock);
	if (r->last) {
		struct hw_pci_function *d = hw_pci_function_by_rid(u->m, r->sid);
		if (d)
			pci_prg_response(d, r->pasid, r->pasid != VTD_PASID_NONE, r->prgi,
					 VTD_PRG_RESP_SUCCESS);
		*res = VTD_PRQ_AUTO_RESPONSE;
	}
	return 0;
}

int vtd_page_request(struct vtd_unit *u, const struct vtd_page_req *r, enum vtd_prq_result *res)
{
	struct vtd_fault f = {
		.sid = r->sid,
		.pasid = r->pasid,
		.pasid_present = r->pasid != VTD_PASID_NONE,
		.priv = r->priv,
		.exec = r->exec,
		.write = r->write,
		.addr = r->addr,
	};
	*res = VTD_PRQ_DROPPED;

	if (!(u->ecap & VTD_ECAP_PRS))
		return -1;
	/* Page requests need scalable-mode tables (RTA.3) and a context that
	 * allows them (9.4 PRE). */
	struct vtd_ctx ctx;
	uint64_t ttm = atomic_load(&u->rtaddr) & VTD_RTADDR_TTM_MASK;
	if (ttm == VTD_RTADDR_TTM_LEGACY) {
		f.reason = VTD_FR_SM_TTM0_PRQ;
	} else if (vtd_context_lookup(u, r->sid, &ctx, &f, true) == 0 &&
		   !(ctx.lo & VTD_SM_CTX_PRE)) {
		f.reason = VTD_FR_SM_CTX_PRE;
		f.qualified = true;
	}
	if (f.reason) {
		vtd_record_fault(u, &f);
		return -1;
	}

	atomic_fetch_add_explicit(&u->st.page_requests, 1, memory_order_relaxed);
	spin_lock(&u->reg_lock);
	uint64_t size = (VTD_PAGE_SIZE << VTD_PQA_PQS(u->pqa));
	uint64_t base = u->pqa & VTD_PQA_ADDR_MASK;
	uint64_t next = (u->pqt + VTD_PRQ_DESC_SIZE) % size;
	bool full = (u->prs & VTD_PRS_PRO) || next == (u->pqh % size) || !hw_pa_valid(base, size) ||
		    u->pqt >= size;
	if (full)
		return dropped(u, r, res);

	uint64_t q0 = VTD_PRQ0_TYPE_PAGE_REQ | ((uint64_t)r->sid << 16);
	if (r->pasid != VTD_PASID_NONE)
		q0 |= VTD_PRQ0_PP | ((uint64_t)(r->pasid & 0xfffff) << 32);
	if (r->exec)
		q0 |= VTD_PRQ0_ER;
	if (r->priv)
		q0 |= VTD_PRQ0_PMR;
	if (r->priv_data_present)
		q0 |= VTD_PRQ0_PDP;
	uint64_t q1 = (r->addr & VTD_PAGE_MASK) | ((uint64_t)(r->prgi & 0x1ff) << 3);
	if (r->read)
		q1 |= VTD_PRQ1_RD;
	if (r->write)
		q1 |= VTD_PRQ1_WR;
	if (r->last)
		q1 |= VTD_PRQ1_LPIG;

	uint64_t slot = base + u->pqt;
	/* No memory behind PQA: the queue is as unusable as a full one. */
	if (!hw_write64(slot, q0) || !hw_write64(slot + 8, q1) ||
	    !hw_write64(slot + 16, r->priv_data_present ? r->priv_data[0] : 0) ||
	    !hw_write64(slot + 24, r->priv_data_present ? r->priv_data[1] : 0))
		return dropped(u, r, res);
	u->pqt = next;
	if (!(u->prs & VTD_PRS_PPR)) {
		u->prs |= VTD_PRS_PPR;
		vtd_raise_irq_locked(u, VTD_IRQ_PAGE_REQUEST);
	}
	*res = VTD_PRQ_QUEUED;
	spin_unlock(&u->reg_lock);
	vtd_send_pending_irqs(u);
	return 0;
}
