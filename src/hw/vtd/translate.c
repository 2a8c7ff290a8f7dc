/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The translation pipeline (DESIGN.md "A DMA, start to end"):
 *
 *   L1 (per engine) -> context cache -> PASID cache -> IOTLB -> walk
 *
 * The L1 is a small direct-mapped front of the IOTLB owned by one engine
 * thread, like the per-port translation caches of real units. It holds
 * only what the IOTLB (or, for ATS devices, the device TLB) gave it and is
 * retired wholesale by the unit's invalidation generation, so it can never
 * keep a translation the caches behind it no longer have.
 */
#include "vtd.h"
#include "../mem/mem.h"
#include "../../util/compiler.h"

#define INTR_WINDOW_BASE 0xfee00000ull
#define INTR_WINDOW_SIZE 0x00100000ull

bool vtd_in_interrupt_window(uint64_t addr)
{
	return addr - INTR_WINDOW_BASE < INTR_WINDOW_SIZE;
}

static inline uint64_t stream_key(const struct vtd_req *req)
{
	return vtd_l1_key(req) & ~(1ull << 37);
}

/* What a cached translation lets this request do (3.6.1 for first stage).
 * Write is granted only with the dirty bit already set, so the first write
 * through a clean entry goes back to the tables to set it. */
static uint8_t allowed(uint8_t flags, bool fs, bool priv, bool wpe, bool smep)
{
	bool user_ok = !fs || priv || (flags & VTD_TLBF_U);
	if (!user_ok)
		return 0;
	uint8_t p = 0;
	if (flags & VTD_TLBF_R)
		p |= VTD_PERM_R;
	bool w = (flags & VTD_TLBF_W) || (fs && priv && !wpe);
	if (w && (flags & VTD_TLBF_D))
		p |= VTD_PERM_W;
	if ((flags & VTD_TLBF_X) && !(fs && priv && smep && (flags & VTD_TLBF_U)))
		p |= VTD_PERM_X;
	return p;
}

static int fault(struct vtd_fault *f, uint8_t reason, bool qualified)
{
	f->reason = reason;
	f->qualified = qualified;
	return -1;
}

struct resolved {
	uint64_t out_base;
	uint8_t size_shift;
	uint8_t perm;     /* allowed for this request */
	bool from_iotlb;
};

/* Context and PASID entry for the request, via the engine's stream cache. */
static int resolve_stream(struct vtd_unit *u, struct vtd_l1 *l1, const struct vtd_req *req,
			  uint64_t gen, struct vtd_pasid_entry *pe, uint32_t *pasid,
			  struct vtd_fault *f)
{
	uint64_t key = stream_key(req);
	if (l1 && l1->stream.unit == u && l1->stream.gen == gen && l1->stream.key == key) {
		pe->q[0] = l1->stream.q[0];
		pe->q[1] = l1->stream.q[1];
		pe->q[2] = l1->stream.q[2];
		*pasid = l1->stream.pasid;
		f->fpd = l1->stream.fpd;
		return 0;
	}

	struct vtd_ctx ctx;
	if (vtd_context_lookup(u, req->sid, &ctx, f, true))
		return -1;
	if (req->pasid != VTD_PASID_NONE) {
		if (!(ctx.lo & VTD_SM_CTX_PASIDE))
			return fault(f, VTD_FR_SM_CTX_PASIDE, true);
		*pasid = req->pasid;
	} else {
		/* Requests without PASID use the context's RID_PASID (9.4). */
		*pasid = VTD_SM_CTX_RID_PASID(ctx.hi);
		if (*pasid >> u->cfg.pasid_bits)
			return fault(f, VTD_FR_SM_CTX_RID_PASID, true);
	}
	if (vtd_pasid_lookup(u, req->sid, &ctx, *pasid, pe, f, true))
		return -1;

	if (l1) {
		l1->stream.unit = u;
		l1->stream.gen = gen;
		l1->stream.key = key;
		l1->stream.pasid = *pasid;
		l1->stream.fpd = f->fpd;
		l1->stream.q[0] = pe->q[0];
		l1->stream.q[1] = pe->q[1];
		l1->stream.q[2] = pe->q[2];
	}
	return 0;
}

static void iotlb_fill(struct vtd_unit *u, uint64_t gen, enum vtd_tlb_class c, uint16_t did,
		       uint32_t pasid, uint64_t addr, const struct vtd_walk *w)
{
	struct vtd_tlb_hit h = { .out_base = w->out_base, .flags = w->flags,
				 .size_shift = w->size_shift };
	spin_lock(&u->cache_lock);
	if (atomic_load_explicit(&u->inv_gen, memory_order_relaxed) == gen)
		vtd_iotlb_insert(&u->iotlb, c, did, pasid, addr, &h);
	spin_unlock(&u->cache_lock);
}

static bool is_not_present_or_perm(uint8_t r)
{
	switch (r) {
	case VTD_FR_SM_SS_NOT_PRESENT:
	case VTD_FR_SM_FS_P:
	case VTD_FR_SM_US:
	case VTD_FR_SM_NX:
	case VTD_FR_SM_WRITE:
	case VTD_FR_SM_READ:
		return true;
	default:
		return false;
	}
}

/*
 * Everything past the L1. `ats`: a translation request from a device TLB,
 * which gets the permissions the tables grant instead of a fault when the
 * page is absent or the access not allowed (ATS, PCIe 10.2.3).
 */
static int resolve(struct vtd_unit *u, struct vtd_l1 *l1, const struct vtd_req *req, uint64_t gen,
		   struct resolved *r, struct vtd_fault *f, bool ats)
{
	stat_inc(&u->st.translations);

	if (!atomic_load_explicit(&u->te, memory_order_acquire)) {
		/* Remapping disabled: requests go to memory untranslated. */
		r->out_base = req->addr & ~((1ull << 21) - 1);
		r->size_shift = 21;
		r->perm = VTD_PERM_R | VTD_PERM_W | VTD_PERM_X;
		return 0;
	}

	struct vtd_pasid_entry pe;
	uint32_t pasid;
	if (resolve_stream(u, l1, req, gen, &pe, &pasid, f))
		return -1;

	uint64_t q0 = pe.q[0], q2 = pe.q[2];
	unsigned pgtt = VTD_PE0_PGTT(q0);
	uint16_t did = VTD_PE1_DID(pe.q[1]);
	if (req->priv && !(q2 & VTD_PE2_SRE))
		return fault(f, VTD_FR_SM_PTE_SRE, true);
	if ((req->perm & VTD_PERM_X) && !(q2 & VTD_PE2_ERE))
		return fault(f, VTD_FR_SM_PTE_ERE, true);

	if (pgtt == VTD_PGTT_PT) {
		if (req->addr >> u->haw)
			return fault(f, VTD_FR_SM_ADDR_BEYOND, true);
		/* 3.14: in pass-through, requests with PASID aimed at the
		 * interrupt range are blocked rather than treated as MSIs. */
		if (vtd_in_interrupt_window(req->addr))
			return fault(f, VTD_FR_SM_INTR_RANGE, true);
		r->out_base = req->addr & ~((1ull << 21) - 1);
		r->size_shift = 21;
		r->perm = VTD_PERM_R | VTD_PERM_W | VTD_PERM_X;
		return 0;
	}

	bool fs = pgtt != VTD_PGTT_SS;
	enum vtd_tlb_class c = fs ? VTD_TLB_FS : VTD_TLB_SS;
	bool wpe = q2 & VTD_PE2_WPE, smep = q2 & VTD_PE2_SMEP;
	struct vtd_tlb_hit hit;
	if (vtd_iotlb_lookup(&u->iotlb, c, did, pasid, req->addr, &hit)) {
		uint8_t p = allowed(hit.flags, fs, req->priv, wpe, smep);
		if ((p & req->perm) == req->perm || (ats && !(req->perm & VTD_PERM_W))) {
			r->out_base = hit.out_base;
			r->size_shift = hit.size_shift;
			r->perm = p;
			r->from_iotlb = true;
			return 0;
		}
		/* Not enough through the cached entry (or a clean entry for a
		 * write): walk again, as hardware does before faulting. */
	}
	stat_inc(&u->st.iotlb_misses);
	stat_inc(&u->st.walks);

	struct vtd_walk w;
	struct vtd_req wreq = *req;
	int rc;
	for (;;) {
		if (fs)
			rc = vtd_walk_fs(u, &pe, &wreq, true, &w, f);
		else
			rc = vtd_walk_ss(u, q0 & VTD_PE0_SSPTPTR_MASK, VTD_PE0_AW(q0) + 2,
					 q0 & VTD_PE0_SSADE, wreq.addr, wreq.perm, true, &w, f);
		if (!rc || !ats || !is_not_present_or_perm(f->reason))
			break;
		/* ATS: a write-intended request may still get a read-only
		 * translation; an absent page is answered with R=W=0. */
		if ((wreq.perm & VTD_PERM_W) && f->reason != VTD_FR_SM_SS_NOT_PRESENT &&
		    f->reason != VTD_FR_SM_FS_P) {
			wreq.perm = VTD_PERM_R;
			continue;
		}
		r->perm = 0;
		r->size_shift = 12;
		r->out_base = 0;
		return 0;
	}
	if (rc)
		return -1;
	iotlb_fill(u, gen, c, did, pasid, req->addr, &w);
	r->out_base = w.out_base;
	r->size_shift = w.size_shift;
	r->perm = allowed(w.flags, fs, req->priv, wpe, smep);
	if (!ats && (r->perm & req->perm) != req->perm) {
		/* The walk granted it but a flag says otherwise: treat as the
		 * permission fault the walk would report. */
		return fault(f, (req->perm & VTD_PERM_W) ? VTD_FR_SM_WRITE : VTD_FR_SM_READ, true);
	}
	return 0;
}

static void fault_init(struct vtd_fault *f, const struct vtd_req *req)
{
	f->reason = 0;
	f->qualified = false;
	f->fpd = false;
	f->sid = req->sid;
	f->pasid = req->pasid;
	f->pasid_present = req->pasid != VTD_PASID_NONE;
	f->priv = req->priv;
	f->exec = req->perm & VTD_PERM_X;
	f->write = req->perm & VTD_PERM_W;
	f->at = 0; /* untranslated request */
	f->addr = req->addr;
}

int vtd_translate(struct vtd_unit *u, struct vtd_l1 *l1, const struct vtd_req *req,
		  struct vtd_xlate *x, struct vtd_fault *f)
{
	uint64_t gen = atomic_load_explicit(&u->inv_gen, memory_order_acquire);
	uint64_t vpn = req->addr >> VTD_PAGE_SHIFT;
	uint64_t key = vtd_l1_key(req);
	struct vtd_l1_entry *e = NULL;

	if (l1) {
		e = vtd_l1_slot(l1, vpn, key);
		if (e->vpn == vpn && e->key == key && e->unit == u && e->gen == gen &&
		    (e->perm & req->perm) == req->perm) {
			uint64_t off = req->addr & ((1ull << e->size_shift) - 1);
			x->out = e->out_base + off;
			x->avail = (1ull << e->size_shift) - off;
			x->perm = e->perm;
			x->size_shift = e->size_shift;
			stat_inc(&l1->l1_hits[u->index]);
			if (unlikely(u->cfg.checker))
				vtd_check_hit(u, req, x->out, x->perm, "IOTLB");
			return 0;
		}
	}

	fault_init(f, req);
	/* H-11: without a PASID, 0xFEEx_xxxx is an interrupt message; with
	 * interrupt remapping not modelled it is blocked. */
	if (req->pasid == VTD_PASID_NONE && vtd_in_interrupt_window(req->addr))
		return -2;

	struct resolved r = { 0 };
	if (resolve(u, l1, req, gen, &r, f, false))
		return -1;
	if (r.from_iotlb) {
		if (l1)
			stat_inc(&l1->l2_hits[u->index]);
		if (unlikely(u->cfg.checker))
			vtd_check_hit(u, req, r.out_base | (req->addr & ((1ull << r.size_shift) - 1)),
				      r.perm, "IOTLB");
	}

	uint64_t off = req->addr & ((1ull << r.size_shift) - 1);
	x->out = r.out_base + off;
	x->avail = (1ull << r.size_shift) - off;
	x->perm = r.perm;
	x->size_shift = r.size_shift;
	if (e) {
		e->gen = gen;
		e->unit = u;
		e->key = key;
		e->vpn = vpn;
		e->out_base = r.out_base;
		e->perm = r.perm;
		e->size_shift = r.size_shift;
	}
	return 0;
}

int vtd_ats_translate(struct vtd_unit *u, const struct vtd_req *req, struct vtd_xlate *x,
		      struct vtd_fault *f)
{
	uint64_t gen = atomic_load_explicit(&u->inv_gen, memory_order_acquire);
	fault_init(f, req);
	f->at = 1; /* translation request (AT=01b) */
	stat_inc(&u->st.ats_translations);

	/* Translation requests need the device TLB enabled in the context
	 * entry (9.4 DTE), or they are faulted as SCT.5. */
	struct vtd_ctx ctx;
	if (atomic_load(&u->te)) {
		if (vtd_context_lookup(u, req->sid, &ctx, f, true))
			return -1;
		if (!(ctx.lo & VTD_SM_CTX_DTE))
			return fault(f, VTD_FR_SM_CTX_DTE, false);
	}

	struct resolved r = { 0 };
	if (resolve(u, NULL, req, gen, &r, f, true))
		return -1;
	uint64_t off = req->addr & ((1ull << r.size_shift) - 1);
	x->out = r.perm ? r.out_base + off : 0;
	x->avail = (1ull << r.size_shift) - off;
	x->perm = r.perm;
	x->size_shift = r.size_shift;
	return 0;
}
