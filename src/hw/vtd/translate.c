/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The translation pipeline (DESIGN.md "A DMA, start to end"):
 *
 *   micro-TLB (per engine) -> context cache -> PASID cache -> IOTLB -> walk
 *
 * The micro-TLB is a small direct-mapped cache in front of the IOTLB owned
 * by one engine thread, like the per-port translation caches of real units. It holds
 * only what the IOTLB (or, for ATS devices, the device TLB) gave it and is
 * retired wholesale by the unit's invalidation generation, so it can never
 * keep a translation the caches behind it no longer have.
 */
#include "vtd.h"
#include "iotlb.h"
#include "../mem/mem.h"
#include "../../util/compiler.h"

#define INTR_WINDOW_BASE 0xfee00000ull
#define INTR_WINDOW_SIZE 0x00100000ull

bool vtd_in_interrupt_window(uint64_t addr)
{
	return addr - INTR_WINDOW_BASE < INTR_WINDOW_SIZE;
}

static inline bool in_window(uint64_t addr)
{
	return addr - INTR_WINDOW_BASE < INTR_WINDOW_SIZE;
}

static inline uint64_t stream_key(const struct vtd_req *req)
{
	return vtd_utlb_key(req) & ~(1ull << 37);
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
	bool uncached;    /* raced an invalidation: use once, cache nowhere */
};

/* Context and PASID entry for the request, via the engine's stream cache. */
static int resolve_stream(struct vtd_unit *u, struct vtd_utlb *utlb, const struct vtd_req *req,
			  uint64_t gen, struct vtd_pasid_entry *pe, uint32_t *pasid,
			  struct vtd_fault *f)
{
	uint64_t key = stream_key(req);
	if (utlb && utlb->stream.unit == u && utlb->stream.gen == gen && utlb->stream.key == key) {
		pe->q[0] = utlb->stream.q[0];
		pe->q[1] = utlb->stream.q[1];
		pe->q[2] = utlb->stream.q[2];
		*pasid = utlb->stream.pasid;
		f->fpd = utlb->stream.fpd;
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

	if (utlb) {
		struct vtd_utlb_stream *st = &utlb->stream;
		st->unit = u;
		st->gen = gen;
		st->key = key;
		st->pasid = *pasid;
		st->fpd = f->fpd;
		st->dte = ctx.lo & VTD_SM_CTX_DTE;
		st->q[0] = pe->q[0];
		st->q[1] = pe->q[1];
		st->q[2] = pe->q[2];
		unsigned pgtt = VTD_PE0_PGTT(pe->q[0]);
		st->simple = pgtt == VTD_PGTT_SS || pgtt == VTD_PGTT_FS;
		st->cls = pgtt == VTD_PGTT_SS ? VTD_TLB_SS : VTD_TLB_FS;
		st->did = VTD_PE1_DID(pe->q[1]);
		st->levels = pgtt == VTD_PGTT_SS ? (uint8_t)(VTD_PE0_AW(pe->q[0]) + 2) : 0;
		/* The tables' reach and the unit's MGAW, whichever is less. */
		unsigned reach = 12 + 9 * st->levels;
		st->va_bits = (uint8_t)(reach < VTD_CAP_MGAW(u->cap) ? reach : VTD_CAP_MGAW(u->cap));
		st->ad = pe->q[0] & VTD_PE0_SSADE;
		st->wpe = pe->q[2] & VTD_PE2_WPE;
		st->smep = pe->q[2] & VTD_PE2_SMEP;
		st->root = pe->q[0] & VTD_PE0_SSPTPTR_MASK;
		uint32_t tp = st->cls == VTD_TLB_FS ? *pasid : 0;
		st->tag4k = make_tag((enum vtd_tlb_class)st->cls, 1, st->did, tp, 0);
		st->salt4k = set_salt(st->did, tp, 1);
		st->cls_gen = &u->iotlb.gen[st->did * 2u + st->cls];
		for (unsigned fl = 0; fl < 32; fl++)
			st->perm[fl] = allowed((uint8_t)fl, st->cls == VTD_TLB_FS, false, st->wpe,
					       st->smep);
	}
	return 0;
}

/*
 * Insert a walk's result, unless an invalidation that could have removed
 * it ran since the walk began: one that dropped something moved inv_gen
 * (`gen`), one that found nothing moved the class generation (`cgen`).
 * Only a translation that went in may be handed to a micro-TLB.
 */
static bool iotlb_fill(struct vtd_unit *u, uint64_t gen, uint32_t cgen, enum vtd_tlb_class c,
		       uint16_t did, uint32_t pasid, uint64_t addr, const struct vtd_walk *w)
{
	struct vtd_tlb_hit h = { .out_base = w->out_base, .flags = w->flags,
				 .size_shift = w->size_shift };
	vtd_fill_hook(u, VTD_FILL_IOTLB);
	spin_lock(&u->cache_lock);
	bool ok = atomic_load_explicit(&u->inv_gen, memory_order_relaxed) == gen &&
		  vtd_iotlb_insert(&u->iotlb, c, did, pasid, addr, &h, cgen);
	spin_unlock(&u->cache_lock);
	return ok;
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
 * Everything past the micro-TLB. `ats`: a translation request from a
 * device TLB, which gets the permissions the tables grant instead of a
 * fault when the page is absent or the access not allowed (ATS, PCIe
 * 10.2.3).
 */
static int resolve(struct vtd_unit *u, struct vtd_utlb *utlb, const struct vtd_req *req,
		   uint64_t gen, struct resolved *r, struct vtd_fault *f, bool ats)
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
	if (resolve_stream(u, utlb, req, gen, &pe, &pasid, f))
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
	uint32_t cgen = vtd_iotlb_gen(&u->iotlb, c, did);
	struct vtd_tlb_hit hit;
	if (vtd_iotlb_lookup(&u->iotlb, c, did, pasid, req->addr, &hit)) {
		uint8_t p = allowed(hit.flags, fs, req->priv, wpe, smep);
		if ((p & req->perm) == req->perm || (ats && !(req->perm & VTD_PERM_W))) {
			stat_inc(&u->st.slow_iotlb_hits);
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
	r->uncached = !iotlb_fill(u, gen, cgen, c, did, pasid, req->addr, &w);
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

/* The request's fields of a fault record, leaving its cause alone. */
static void fault_request(struct vtd_fault *f, const struct vtd_req *req)
{
	f->sid = req->sid;
	f->pasid = req->pasid;
	f->pasid_present = req->pasid != VTD_PASID_NONE;
	f->priv = req->priv;
	f->exec = req->perm & VTD_PERM_X;
	f->write = req->perm & VTD_PERM_W;
	f->at = 0; /* untranslated request */
	f->addr = req->addr;
}

static void fault_init(struct vtd_fault *f, const struct vtd_req *req)
{
	f->reason = 0;
	f->qualified = false;
	f->fpd = false;
	fault_request(f, req);
}

static inline void utlb_fill(struct vtd_utlb *utlb, struct vtd_unit *u, const struct vtd_req *req,
			     uint64_t key, uint64_t gen, uint64_t out_base, uint8_t perm,
			     uint8_t shift)
{
	uint64_t vpn = req->addr >> VTD_PAGE_SHIFT;
	struct vtd_utlb_entry *e = shift > VTD_PAGE_SHIFT ? vtd_utlb_big_slot(utlb, vpn, key) :
							   vtd_utlb_slot(utlb, vpn, key);
	e->gen = gen;
	e->unit = u;
	e->key = key;
	e->vpn = vpn;
	e->out_base = out_base;
	e->perm = perm;
	e->size_shift = shift;
}

static inline void set_x(struct vtd_xlate *x, uint64_t addr, uint64_t out_base, uint8_t perm,
			 uint8_t shift)
{
	uint64_t off = addr & ((1ull << shift) - 1);
	x->out = out_base + off;
	x->avail = (1ull << shift) - off;
	x->perm = perm;
	x->size_shift = shift;
}

/*
 * A second-stage walk for translate_cached_stream(): well-formed entries only, no
 * A/D updates, no fault reporting. Returns 1 at the first thing that is
 * not plain, and the caller redoes the walk with vtd_walk_ss().
 */
static inline int walk_ss_fast(const struct vtd_unit *u, const struct vtd_utlb_stream *st,
			       uint64_t addr, struct vtd_walk *w)
{
	unsigned level = st->levels, sh = 12 + 9 * (level - 1);
	if (addr >> st->va_bits)
		return 1;
	uint64_t table = st->root, rw = VTD_SS_R | VTD_SS_W;
	for (;;) {
		uint64_t pa = table + ((addr >> sh) & 511) * 8;
		if (pa - HW_PA_MIN >= HW_PA_LIMIT - HW_PA_MIN)
			return 1;
		uint64_t pte;
		if (!fixup_load64((const void *)(uintptr_t)pa, &pte) || !(pte & rw))
			return 1; /* no memory there: the full walk reports it */
		bool leaf = level == 1 || (pte & VTD_SS_PS);
		if (pte & u->ss_fast_rsvd[level][leaf])
			return 1;
		rw &= pte;
		if (leaf) {
			w->out_base = pte & VTD_SS_ADDR_MASK & ~((1ull << sh) - 1);
			/* Anything near the interrupt range: the full walk. */
			if (w->out_base <= 0xfeefffffull &&
			    w->out_base + (1ull << sh) - 1 >= 0xfee00000ull)
				return 1;
			w->size_shift = (uint8_t)sh;
			w->flags = (uint8_t)(rw | VTD_TLBF_U | VTD_TLBF_X | VTD_TLBF_D);
			return 0;
		}
		table = pte & VTD_SS_ADDR_MASK;
		level--;
		sh -= 9;
	}
}

/* Fill the 4 KiB entry of the stream's set, the one the probe missed;
 * `cg` is the class generation sampled before the walk (see iotlb_fill). */
static inline bool fill_4k(struct vtd_unit *u, const struct vtd_utlb_stream *st, uint64_t gen,
			   uint32_t cg, uint64_t pfn, uint64_t out)
{
	struct vtd_iotlb *t = &u->iotlb;
	struct vtd_iotlb_set *set = &t->sets[(unsigned)(pfn + st->salt4k) & (t->nsets - 1)];
	vtd_fill_hook(u, VTD_FILL_IOTLB);
	spin_lock(&u->cache_lock);
	uint32_t g = atomic_load_explicit(st->cls_gen, memory_order_relaxed) & 0xffffff;
	bool ok = atomic_load_explicit(&u->inv_gen, memory_order_relaxed) == gen &&
		  g == (cg & 0xffffff);
	if (ok) {
		uint64_t t0 = ld64(&set->way[0].tag), t1 = ld64(&set->way[1].tag);
		unsigned w;
		if (!(t0 >> 63) || (t0 & 0xffffff) != (atomic_load_explicit(
				&t->gen[tag_did(t0) * 2u + tag_class(t0)], memory_order_relaxed) & 0xffffff))
			w = 0;
		else if (!(t1 >> 63))
			w = 1;
		else
			w = set->victim++ & 1;
		vtd_iotlb_mark_filled(t, (enum vtd_tlb_class)st->cls, st->did);
		seq_write_begin(&set->seq);
		st64(&set->way[w].pfn, pfn);
		st64(&set->way[w].out, out);
		st64(&set->way[w].tag, st->tag4k | g);
		seq_write_end(&set->seq);
	}
	spin_unlock(&u->cache_lock);
	return ok;
}

/*
 * The common case, kept short: the engine's stream (requester, PASID)
 * already resolved, in its micro-TLB, to a second- or first-stage PASID
 * entry; a user request; translation on. An IOTLB hit, or a walk and fill. Returns
 * 1 to fall back to the general path.
 */
static inline __attribute__((always_inline)) int translate_cached_stream(
	struct vtd_unit *u, struct vtd_utlb *utlb, const struct vtd_req *req, uint64_t key,
	uint64_t gen, struct vtd_xlate *x, struct vtd_fault *f, bool fill_utlb)
{
	const struct vtd_utlb_stream *st = &utlb->stream;
	if (st->unit != u || st->gen != gen || st->key != key || !st->simple || req->priv ||
	    (req->perm & VTD_PERM_X) || u->checker)
		return 1;
	bool fs = st->cls == VTD_TLB_FS;
	uint8_t p;
	/* Sampled before anything is read: the fill guard (iotlb_fill). */
	uint32_t cg = atomic_load_explicit(st->cls_gen, memory_order_acquire);
	/* The IOTLB probe for a 4 KiB entry of this stream, spelled out; a
	 * unit holding large pages takes the general lookup. */
	struct vtd_iotlb *t = &u->iotlb;
	uint64_t pfn = req->addr >> VTD_PAGE_SHIFT;
	if (!atomic_load_explicit(&t->has_size[2], memory_order_relaxed) &&
	    !atomic_load_explicit(&t->has_size[3], memory_order_relaxed)) {
		uint64_t want = st->tag4k | (cg & 0xffffff);
		struct vtd_iotlb_set *set = &t->sets[(unsigned)(pfn + st->salt4k) & (t->nsets - 1)];
		uint64_t s0 = seq_read_begin(&set->seq);
		unsigned w = (ld64(&set->way[0].tag) == want && ld64(&set->way[0].pfn) == pfn) ? 0 :
			     (ld64(&set->way[1].tag) == want && ld64(&set->way[1].pfn) == pfn) ? 1 : 2;
		if (w < 2) {
			uint64_t out = ld64(&set->way[w].out);
			if (seq_read_ok(&set->seq, s0)) {
				p = st->perm[out & 31];
				if ((p & req->perm) == req->perm) {
					uint64_t base = out & VTD_PAGE_MASK;
					stat_inc(&utlb->iotlb_hits[u->index]);
					if (fill_utlb)
						utlb_fill(utlb, u, req, key, gen, base, p,
							  VTD_PAGE_SHIFT);
					set_x(x, req->addr, base, p, VTD_PAGE_SHIFT);
					return 0;
				}
			}
		}
	} else {
		struct vtd_tlb_hit hit;
		if (vtd_iotlb_lookup(t, (enum vtd_tlb_class)st->cls, st->did, st->pasid, req->addr,
				     &hit)) {
			p = allowed(hit.flags, fs, false, st->wpe, st->smep);
			if ((p & req->perm) == req->perm) {
				stat_inc(&utlb->iotlb_hits[u->index]);
				if (fill_utlb)
					utlb_fill(utlb, u, req, key, gen, hit.out_base, p,
						  hit.size_shift);
				set_x(x, req->addr, hit.out_base, p, hit.size_shift);
				return 0;
			}
		}
	}
	if (fs)
		return 1; /* first-stage walks take the general path */
	/* One counter here: on this path a miss is a walk (stats.c adds
	 * them up), and the line stays the engine's own. */
	stat_inc(&utlb->walks[u->index]);
	struct vtd_walk w;
	if (!st->ad && walk_ss_fast(u, st, req->addr, &w) == 0) {
		p = st->perm[w.flags & 31];
		if ((p & req->perm) == req->perm) {
			bool in;
			if (w.size_shift == VTD_PAGE_SHIFT &&
			    !atomic_load_explicit(&t->has_size[2], memory_order_relaxed) &&
			    !atomic_load_explicit(&t->has_size[3], memory_order_relaxed))
				in = fill_4k(u, st, gen, cg, pfn, w.out_base | w.flags);
			else
				in = iotlb_fill(u, gen, cg, VTD_TLB_SS, st->did, st->pasid,
						req->addr, &w);
			if (fill_utlb && in)
				utlb_fill(utlb, u, req, key, gen, w.out_base, p, w.size_shift);
			set_x(x, req->addr, w.out_base, p, w.size_shift);
			return 0;
		}
	}
	/* Anything unusual - a fault, A/D to set, a permission short - gets
	 * the full walk, which knows how to report it. */
	stat_inc(&u->st.translations);
	stat_inc(&u->st.iotlb_misses);
	stat_inc(&u->st.walks);
	f->fpd = st->fpd;
	if (vtd_walk_ss(u, st->root, st->levels, st->ad, req->addr, req->perm, true, &w, f))
		return -1;
	bool in = iotlb_fill(u, gen, cg, VTD_TLB_SS, st->did, st->pasid, req->addr, &w);
	p = allowed(w.flags, false, false, false, false);
	if ((p & req->perm) != req->perm)
		return 1; /* e.g. a dirty bit lost a race: let the general path decide */
	if (fill_utlb && in)
		utlb_fill(utlb, u, req, key, gen, w.out_base, p, w.size_shift);
	set_x(x, req->addr, w.out_base, p, w.size_shift);
	return 0;
}

int vtd_translate_slow(struct vtd_unit *u, struct vtd_utlb *utlb, const struct vtd_req *req,
		       uint64_t key, struct vtd_xlate *x, struct vtd_fault *f)
{
	uint64_t gen = atomic_load_explicit(&u->inv_gen, memory_order_acquire);
	bool no_pasid = req->pasid == VTD_PASID_NONE;

	if (utlb && !(no_pasid && in_window(req->addr))) {
		int rc = translate_cached_stream(u, utlb, req, key, gen, x, f, true);
		if (rc <= 0) {
			if (rc < 0)
				fault_request(f, req);
			return rc;
		}
	}

	/* H-11: without a PASID, 0xFEEx_xxxx is an interrupt message; with
	 * interrupt remapping not modelled it is blocked. */
	if (unlikely(no_pasid && in_window(req->addr))) {
		fault_init(f, req);
		return -2;
	}
	struct resolved r;
	r.from_iotlb = false;
	r.uncached = false;
	f->fpd = false;
	f->reason = 0;
	f->pasid_present = !no_pasid; /* the context fetch needs it (RTA.2) */
	if (unlikely(resolve(u, utlb, req, gen, &r, f, false))) {
		/* The request's fields only matter once there is a fault. */
		fault_request(f, req);
		return -1;
	}
	if (r.from_iotlb && utlb)
		stat_inc(&utlb->iotlb_hits[u->index]);
	/* H-12: every translation, not only IOTLB hits - a walk through a
	 * stale context or PASID cache entry is caught too. */
	if (unlikely(u->checker))
		vtd_check_hit(u, req, r.out_base | (req->addr & ((1ull << r.size_shift) - 1)), r.perm,
			      r.from_iotlb ? "IOTLB" : "context/PASID cache");

	set_x(x, req->addr, r.out_base, r.perm, r.size_shift);
	if (utlb && !r.uncached)
		utlb_fill(utlb, u, req, key, gen, r.out_base, r.perm, r.size_shift);
	return 0;
}

int vtd_ats_translate(struct vtd_unit *u, struct vtd_utlb *utlb, const struct vtd_req *req,
		      uint64_t key, struct vtd_xlate *x, struct vtd_fault *f)
{
	uint64_t gen = atomic_load_explicit(&u->inv_gen, memory_order_acquire);
	stat_inc(&u->st.ats_translations);

	/* The requester's stream is resolved already (its context entry had
	 * DTE set when it was): an IOTLB hit or a plain walk answers as the
	 * full path would, since a translation that grants the access is
	 * the completion. Anything else - absent pages, permission short,
	 * A/D to set - takes the full path, which knows ATS's answers. */
	if (utlb && utlb->stream.dte && atomic_load_explicit(&u->te, memory_order_relaxed)) {
		struct vtd_fault scratch;
		/* The caller's device TLB and micro-TLB take the answer;
		 * the micro-TLB is not filled twice. */
		if (translate_cached_stream(u, utlb, req, key, gen, x, &scratch, false) == 0)
			return 0;
	}
	fault_init(f, req);
	f->at = 1; /* translation request (AT=01b) */

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
	if (resolve(u, utlb, req, gen, &r, f, true))
		return -1;
	uint64_t off = req->addr & ((1ull << r.size_shift) - 1);
	x->out = r.perm ? r.out_base + off : 0;
	x->avail = (1ull << r.size_shift) - off;
	x->perm = r.perm;
	x->size_shift = r.size_shift;
	return 0;
}
