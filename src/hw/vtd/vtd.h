/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VT-d remapping unit model (SPEC H-1 .. H-12).
 *
 * Software sees only what real software sees: an MMIO register page
 * (vtd_mmio_read/write), in-memory tables it owns, an invalidation queue
 * and three interrupt lines (fault event, invalidation completion, page
 * request). Devices reach it through the DMA entry point in hw/pci/dma.c,
 * which calls vtd_translate() for untranslated requests and
 * vtd_ats_translate() for ATS translation requests.
 *
 * Caches (context cache, PASID cache, IOTLB) are real caches: they keep an
 * entry until an invalidation descriptor of matching selectivity removes
 * it or capacity evicts it, even when memory has changed under them.
 */
#ifndef UIOMMU_HW_VTD_H
#define UIOMMU_HW_VTD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <uiommu/hw/vtd.h>
#include <uiommu/hw/vtd_regs.h>

#include "../../util/mutex.h"
#include "../../util/seqcount.h"
#include "../../util/spinlock.h"

struct hw_machine;
struct hw_pci_function;

#define VTD_MAX_UNITS 8
#define VTD_PASID_NONE UINT32_MAX

/* Configuration of one unit: what its CAP/ECAP advertise. */
struct vtd_config {
	unsigned nfr;             /* fault recording registers, 1..256 */
	unsigned pasid_bits;      /* 1..20 */
	unsigned sagaw;           /* bit1: 3-level, bit2: 4-level, bit3: 5-level */
	unsigned mgaw;            /* maximum input address width, <= 57 */
	unsigned iotlb_entries;   /* power of two, >= 64 */
	unsigned ctx_cache_entries;
	unsigned pasid_cache_entries;
	bool caching_mode;        /* CAP.CM */
	bool nested;              /* ECAP.NEST */
	bool prs;                 /* ECAP.PRS */
	bool dt;                  /* ECAP.DT */
	bool pt;                  /* ECAP.PT */
	bool ss_2m, ss_1g;        /* CAP.SLLPS */
	bool fs_1g, fs_5lvl;      /* CAP.FL1GP, CAP.FL5LP */
	bool slads;               /* ECAP.SLADS */
	bool checker;             /* H-12: report stale cache use */
	bool qi_thread;           /* the invalidation queue runs on a thread of its own */
};

void vtd_config_default(struct vtd_config *c);
int vtd_config_check(const struct vtd_config *c);

/* ---- a translation request and its outcome ---- */

enum vtd_perm {
	VTD_PERM_R = 1,
	VTD_PERM_W = 2,
	VTD_PERM_X = 4,
};

struct vtd_req {
	uint16_t sid;
	uint32_t pasid;   /* VTD_PASID_NONE: request without PASID */
	bool priv;        /* supervisor (PMR) */
	uint8_t perm;     /* VTD_PERM_* the access needs */
	uint64_t addr;
};

struct vtd_xlate {
	uint64_t out;     /* output address of req.addr */
	uint64_t avail;   /* bytes from out to the end of the translation */
	uint8_t perm;     /* what the translation allows */
	uint8_t size_shift;
};

/* Why a translation failed, for fault recording. */
struct vtd_fault {
	uint8_t reason;   /* enum vtd_fault_reason */
	bool qualified;   /* FPD may suppress it */
	bool fpd;         /* FPD was set on the path */
	uint16_t sid;
	uint32_t pasid;
	bool pasid_present;
	bool priv, exec, write;
	uint8_t at;       /* address type: 0 untranslated, 1 translation request */
	uint64_t addr;
};

/*
 * ---- the engine's micro-TLB (hw/pci/dma.c owns one per DMA context) ----
 *
 * A small translation cache next to the requester, in front of the unit's
 * IOTLB - what Arm calls the micro-TLB of a TBU, and what the per-port
 * translation caches of VT-d units are. It holds only what the IOTLB (or
 * the device TLB) gave it and is retired wholesale by the unit's
 * invalidation generation.
 */

#define VTD_UTLB_ENTRIES 64

struct vtd_utlb_entry {
	uint64_t gen;
	const struct vtd_unit *unit;
	uint64_t key;       /* sid | pasid | flags, see translate.c */
	uint64_t vpn;       /* input address >> 12 */
	uint64_t out_base;  /* output base of the whole translation page */
	uint8_t perm;
	uint8_t size_shift;
};

/* The last (requester, PASID) stream resolved: skips the context and
 * PASID caches while an engine keeps working for one ADI. */
struct vtd_utlb_stream {
	uint64_t gen;
	const struct vtd_unit *unit;
	uint64_t key;
	uint32_t pasid;     /* resolved: RID_PASID for requests without one */
	bool fpd;
	bool dte;           /* the context entry allows translation requests */
	uint64_t q[3];      /* PASID entry qwords 0..2 */
	/* Decoded for translate_cached_stream() (translate.c). */
	bool simple;        /* a plain SS or FS entry: the common case */
	uint8_t cls;        /* enum vtd_tlb_class */
	uint16_t did;
	uint8_t levels;
	uint8_t va_bits;    /* second stage: input addresses stay below 2^va_bits */
	bool ad, wpe, smep;
	uint64_t root;
	uint64_t tag4k;     /* IOTLB tag of this stream's 4 KiB entries, generation 0 */
	uint64_t salt4k;    /* their set hash */
	_Atomic uint32_t *cls_gen; /* their class generation */
	uint8_t perm[32];   /* VTD_TLBF_* flags -> what a user request may do */
};

#define VTD_UTLB_BIG_ENTRIES 16

struct vtd_utlb {
	struct vtd_utlb_entry e[VTD_UTLB_ENTRIES];
	/* 2 MiB and 1 GiB translations, indexed by 2 MiB block, so one
	 * entry serves every 4 KiB page of the block. */
	struct vtd_utlb_entry big[VTD_UTLB_BIG_ENTRIES];
	struct vtd_utlb_stream stream;
	/* Hit counters, owned by the engine thread, summed by stats. */
	atomic_ullong utlb_hits[VTD_MAX_UNITS];
	atomic_ullong iotlb_hits[VTD_MAX_UNITS];
	atomic_ullong walks[VTD_MAX_UNITS];   /* misses of the cached-stream path */
};

void vtd_utlb_init(struct vtd_utlb *utlb);

static inline uint64_t vtd_utlb_key(const struct vtd_req *req)
{
	bool has = req->pasid != VTD_PASID_NONE;
	return (uint64_t)req->sid | ((uint64_t)(has ? req->pasid & 0xfffff : 0) << 16) |
	       ((uint64_t)has << 36) | ((uint64_t)req->priv << 37);
}

/* Fibonacci hashing: buffers a power of two apart (a source and its
 * destination) must not land in the same slot. */
static inline struct vtd_utlb_entry *vtd_utlb_slot(struct vtd_utlb *utlb, uint64_t vpn,
						   uint64_t key)
{
	return &utlb->e[((vpn ^ key) * 0x9e3779b97f4a7c15ull) >> 58];
}

static inline struct vtd_utlb_entry *vtd_utlb_big_slot(struct vtd_utlb *utlb, uint64_t vpn,
						       uint64_t key)
{
	return &utlb->big[(((vpn >> 9) ^ key) * 0x9e3779b97f4a7c15ull) >> 60];
}

/* ---- caches ---- */

struct vtd_cc_entry {          /* context cache: decoded SM context entry */
	seqcount_t seq;
	_Atomic uint64_t key;      /* bit 32: valid, 15:0 source id */
	_Atomic uint64_t lo, hi;   /* context entry qwords 0 and 1 */
};

struct vtd_pc_entry {          /* PASID cache */
	seqcount_t seq;
	_Atomic uint64_t key;      /* bit 63: valid, bit 62: dir FPD, 51:32 pasid, 15:0 sid */
	_Atomic uint64_t q[3];     /* PASID entry qwords 0..2 */
};

/* One cache line: a 2-way set under one sequence counter, so a lookup
 * touches a single line. */
struct vtd_iotlb_set {
	seqcount_t seq;
	struct {
		_Atomic uint64_t tag;  /* see iotlb.c */
		_Atomic uint64_t pfn;  /* input address >> size shift */
		_Atomic uint64_t out;  /* output page base | permission flags */
	} way[2];
	uint8_t victim;            /* writers only */
	uint8_t pad[7];
};

#define VTD_IOTLB_WAYS 2

struct vtd_iotlb {
	struct vtd_iotlb_set *sets;
	unsigned nsets;
	_Atomic uint32_t *gen;     /* [did * 2 + class]: class-wide invalidation */
	uint64_t *filled;          /* bit did*2+class: entries inserted since its
	                            * last class-wide flush (writers only) */
	atomic_bool has_size[4];   /* any 2 MiB / 1 GiB entries cached */
};

struct vtd_unit {
	struct hw_machine *m;
	unsigned index;
	char name[16];
	struct vtd_config cfg;
	uint64_t cap, ecap;
	unsigned haw;               /* host address width */
	bool include_all;           /* DRHD INCLUDE_PCI_ALL */
	/* Reserved-bit masks per level and leafness, precomputed (walk.c):
	 * [level][leaf], level 1..5. */
	uint64_t ss_rsvd[6][2], fs_rsvd[6][2];
	bool ss_large[6];
	/* For the fast walk: ss_rsvd, and all ones for a large page where the
	 * unit has none (anything odd goes to the full walk). */
	uint64_t ss_fast_rsvd[6][2];
	struct hw_pci_function *scope[64];  /* DRHD device scope entries */
	unsigned nr_scope;

	/* Translation sees these without locks. Every invalidation and
	 * every change to them bumps inv_gen, which retires micro-TLB entries. */
	_Alignas(64) atomic_ullong inv_gen;
	_Atomic uint64_t rtaddr;    /* latched by GCMD.SRTP */
	atomic_bool te;
	bool checker;               /* cfg.checker, on the hot line */
	/* Tests only (vtd_set_fill_hook): NULL, one untaken branch per miss. */
	void (*fill_hook)(struct vtd_unit *u, int kind, void *opaque);
	void *fill_hook_opaque;

	_Alignas(64) spinlock_t cache_lock; /* cache writers: fills, invalidations */
	struct vtd_cc_entry *cc;
	unsigned cc_mask;
	struct vtd_pc_entry *pc;
	unsigned pc_mask;
	uint32_t *pc_did_count;     /* PASID-cache entries per DID (cache_lock) */
	struct vtd_iotlb iotlb;

	/* Queued invalidation (qi.c): one processor at a time under `lock`,
	 * which may be held across waits; never taken under reg_lock. */
	struct {
		mutex_t lock;
		pthread_mutex_t kick_lock; /* qi_thread: kicked, stop */
		pthread_cond_t cond;
		pthread_t thread;
		bool threaded, kicked, stop;
	} qi;

	/* Register file: everything below is under reg_lock. */
	spinlock_t reg_lock;      /* short: never held while blocking */
	bool qi_kick;             /* a write asked the queue to run */
	uint32_t gsts;
	uint64_t rtaddr_reg;
	uint32_t fsts, fectl, fedata, feaddr, feuaddr;
	uint64_t iqa, iqh, iqt, iqer;
	uint32_t ics, iectl, iedata, ieaddr, ieuaddr;
	uint64_t irta;
	uint64_t pqa, pqh, pqt;
	uint32_t prs, pectl, pedata, peaddr, peuaddr;
	uint64_t *frcd;             /* 2 qwords per record */
	unsigned frcd_next;
	_Atomic unsigned pending_irqs; /* raised under reg_lock, sent after it */

	vtd_irq_fn irq_fn;
	void *irq_opaque;

	/* Interrupts raised by a register write or by queue processing in
	 * the writer's thread are delivered by this thread instead (regs.c):
	 * the writer may be a driver holding its own locks, which the
	 * handler may need. Under `lock`; never taken under reg_lock. */
	struct {
		pthread_mutex_t lock;
		pthread_cond_t cond;
		pthread_t thread;
		bool started, stop, busy;
		unsigned queued;          /* 1 << enum vtd_irq */
	} irqd;
	vtd_checker_fn checker_fn;
	void *checker_opaque;

	struct {
		atomic_ullong translations, iotlb_misses, walks;
		atomic_ullong ctx_hits, ctx_misses, pasid_hits, pasid_misses;
		atomic_ullong faults, faults_suppressed, faults_overflow;
		atomic_ullong inv_desc, inv_waits, page_requests, prq_overflow, stale_hits;
		atomic_ullong ats_translations;
		atomic_ullong slow_iotlb_hits; /* IOTLB hits of the full path (ATS, no micro-TLB) */
		/* Folded in from retired micro-TLBs. */
		atomic_ullong utlb_hits, iotlb_hits, fast_walks;
	} st;

	uint64_t reg_base;          /* where the DMAR table says its registers are */
};

/* unit.c */
int vtd_unit_new(struct hw_machine *m, const struct vtd_config *cfg, const char *name,
		 struct vtd_unit **out);
void vtd_unit_free(struct vtd_unit *u);
void vtd_utlb_retire(struct vtd_utlb *utlb, struct vtd_unit *const *units, unsigned n);
/* Statistics counters: a plain increment, not a locked one, so that the
 * translation path never bounces a shared cache line. Concurrent engines
 * may lose the odd count; the figures are for humans, not for logic. */
static inline void stat_inc(atomic_ullong *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

static inline void vtd_bump_gen(struct vtd_unit *u)
{
	atomic_fetch_add_explicit(&u->inv_gen, 1, memory_order_release);
}


/*
 * A test hook between a table read and the cache fill it leads to (a
 * walk and its IOTLB fill, a context or PASID entry fetch and its cache
 * fill), run outside every lock: a test stalls a walker there and runs an
 * invalidation, deterministically (issue #7). Set it before any thread
 * translates.
 */
enum vtd_fill_kind {
	VTD_FILL_CONTEXT,
	VTD_FILL_PASID,
	VTD_FILL_IOTLB,
};
void vtd_set_fill_hook(struct vtd_unit *u, void (*fn)(struct vtd_unit *u, int kind, void *opaque),
		       void *opaque);
static inline void vtd_fill_hook(struct vtd_unit *u, enum vtd_fill_kind kind)
{
	if (__builtin_expect(u->fill_hook != NULL, 0))
		u->fill_hook(u, kind, u->fill_hook_opaque);
}

/* regs.c (the MMIO interface is in <uiommu/hw/vtd.h>) */
void vtd_raise_irq_locked(struct vtd_unit *u, enum vtd_irq irq);
/* Deliver pending interrupts in this thread: for the device (DMA) side,
 * which holds no software locks when it calls this. */
void vtd_send_pending_irqs(struct vtd_unit *u);
/* Hand pending interrupts to the unit's interrupt thread: for the
 * register-writer side. */
void vtd_defer_pending_irqs(struct vtd_unit *u);
/* Wait until the interrupt thread has delivered everything handed to it
 * (tests: an MMIO write's interrupts before the next instruction). */
void vtd_irq_drain(struct vtd_unit *u);
void vtd_irq_init(struct vtd_unit *u);
void vtd_irq_fini(struct vtd_unit *u);

/* context.c: root and context entries, context cache. */
struct vtd_ctx {
	uint64_t lo, hi;
};
int vtd_context_lookup(struct vtd_unit *u, uint16_t sid, struct vtd_ctx *ctx, struct vtd_fault *f,
		       bool fill);
int vtd_context_fetch(struct vtd_unit *u, uint16_t sid, struct vtd_ctx *ctx, struct vtd_fault *f);
void vtd_cc_invalidate(struct vtd_unit *u, bool global, uint16_t sid, unsigned fm);

/* pasid.c: PASID directory/table entries, PASID cache. */
struct vtd_pasid_entry {
	uint64_t q[3];
	bool dir_fpd;
};
int vtd_pasid_lookup(struct vtd_unit *u, uint16_t sid, const struct vtd_ctx *ctx, uint32_t pasid,
		     struct vtd_pasid_entry *pe, struct vtd_fault *f, bool fill);
int vtd_pasid_fetch(struct vtd_unit *u, const struct vtd_ctx *ctx, uint32_t pasid,
		    struct vtd_pasid_entry *pe, struct vtd_fault *f);
void vtd_pc_invalidate(struct vtd_unit *u, unsigned g, uint16_t did, uint32_t pasid);

/* iotlb.c */
enum vtd_tlb_class {
	VTD_TLB_SS = 0,   /* second-stage only: tagged by DID */
	VTD_TLB_FS = 1,   /* first-stage or nested: tagged by DID and PASID */
};
struct vtd_tlb_hit {
	uint64_t out_base;
	uint8_t flags;    /* VTD_TLBF_* */
	uint8_t size_shift;
};
#define VTD_TLBF_R    0x01
#define VTD_TLBF_W    0x02
#define VTD_TLBF_U    0x04  /* first stage: user access allowed on every level */
#define VTD_TLBF_D    0x08  /* dirty already set (or not tracked) */
#define VTD_TLBF_X    0x10
int vtd_iotlb_init(struct vtd_iotlb *t, unsigned entries);
void vtd_iotlb_destroy(struct vtd_iotlb *t);
bool vtd_iotlb_lookup(struct vtd_iotlb *t, enum vtd_tlb_class c, uint16_t did, uint32_t pasid,
		      uint64_t addr, struct vtd_tlb_hit *hit);
/* The class generation a walker samples before reading the tables. */
static inline uint32_t vtd_iotlb_gen(const struct vtd_iotlb *t, enum vtd_tlb_class c, uint16_t did)
{
	return atomic_load_explicit(&t->gen[did * 2u + c], memory_order_acquire);
}
/* Caller holds cache_lock. False, and nothing inserted, if the class was
 * invalidated since `gen` was sampled (iotlb.c: fill guards). */
bool vtd_iotlb_insert(struct vtd_iotlb *t, enum vtd_tlb_class c, uint16_t did, uint32_t pasid,
		      uint64_t addr, const struct vtd_tlb_hit *hit, uint32_t gen);
/* Each returns whether anything could have been dropped (inv_gen must
 * then move); each also stops the class's fills in flight. */
void vtd_iotlb_flush_all(struct vtd_iotlb *t);
bool vtd_iotlb_flush_class(struct vtd_iotlb *t, enum vtd_tlb_class c, uint16_t did);
bool vtd_iotlb_flush_range(struct vtd_iotlb *t, enum vtd_tlb_class c, uint16_t did, uint32_t pasid,
			   uint64_t addr, unsigned am);
bool vtd_iotlb_flush_pasid(struct vtd_iotlb *t, uint16_t did, uint32_t pasid);
unsigned vtd_iotlb_count(struct vtd_iotlb *t);

/* walk.c: second-stage, first-stage and nested walks. */
struct vtd_walk {
	uint64_t out_base;
	uint8_t flags;       /* VTD_TLBF_* */
	uint8_t size_shift;
};
struct vtd_walk_opts {
	bool set_ad;         /* false: look, do not touch A/D (checker) */
};
int vtd_walk_ss(struct vtd_unit *u, uint64_t root, unsigned levels, bool ad, uint64_t addr,
		uint8_t perm, bool set_ad, struct vtd_walk *w, struct vtd_fault *f);
void vtd_walk_init(struct vtd_unit *u);
int vtd_walk_fs(struct vtd_unit *u, const struct vtd_pasid_entry *pe, const struct vtd_req *req,
		bool set_ad, struct vtd_walk *w, struct vtd_fault *f);

/* translate.c */
/* `key` is vtd_utlb_key(req), which the inline part computed already. */
int vtd_translate_slow(struct vtd_unit *u, struct vtd_utlb *utlb, const struct vtd_req *req,
		       uint64_t key, struct vtd_xlate *x, struct vtd_fault *f);
void vtd_check_hit(struct vtd_unit *u, const struct vtd_req *req, uint64_t out, uint8_t perm,
		   const char *cache);

/*
 * Translate one request (H-10). The engine's micro-TLB is looked at
 * inline: a hit costs a handful of loads and no call. 0 on success; -1 with *f
 * filled for a fault the unit records; -2 for an interrupt-window
 * request without PASID (H-11), blocked without a fault record.
 */
static inline int vtd_translate(struct vtd_unit *u, struct vtd_utlb *utlb,
				const struct vtd_req *req, struct vtd_xlate *x, struct vtd_fault *f)
{
	uint64_t key = vtd_utlb_key(req);
	if (utlb) {
		uint64_t vpn = req->addr >> VTD_PAGE_SHIFT;
		struct vtd_utlb_entry *e = vtd_utlb_slot(utlb, vpn, key);
		if (e->vpn != vpn || e->key != key) {
			e = vtd_utlb_big_slot(utlb, vpn, key);
			if (e->key != key || ((e->vpn ^ vpn) >> (e->size_shift - VTD_PAGE_SHIFT)))
				return vtd_translate_slow(u, utlb, req, key, x, f);
		}
		if (e->unit == u && e->gen == atomic_load_explicit(&u->inv_gen, memory_order_acquire) &&
		    (e->perm & req->perm) == req->perm) {
			uint64_t off = req->addr & ((1ull << e->size_shift) - 1);
			x->out = e->out_base + off;
			x->avail = (1ull << e->size_shift) - off;
			x->perm = e->perm;
			x->size_shift = e->size_shift;
			stat_inc(&utlb->utlb_hits[u->index]);
			if (__builtin_expect(u->checker, 0))
				vtd_check_hit(u, req, x->out, x->perm, "IOTLB");
			return 0;
		}
	}
	return vtd_translate_slow(u, utlb, req, key, x, f);
}
/* A translation request from a device TLB; `key` is vtd_utlb_key(req). */
int vtd_ats_translate(struct vtd_unit *u, struct vtd_utlb *utlb, const struct vtd_req *req,
		      uint64_t key, struct vtd_xlate *x, struct vtd_fault *f);
bool vtd_in_interrupt_window(uint64_t addr);

/* fault.c */
void vtd_record_fault(struct vtd_unit *u, const struct vtd_fault *f);

/* qi.c */
int vtd_qi_init(struct vtd_unit *u);
void vtd_qi_fini(struct vtd_unit *u);
/* Run the queue (or wake its thread); no unit lock held. */
void vtd_qi_kick(struct vtd_unit *u);
/* inv_desc.c: run one descriptor (dw: 256-bit); 0 or its IQEI code. */
unsigned vtd_inv_desc_execute(struct vtd_unit *u, const uint64_t q[4], bool dw);

/* prq.c */
enum vtd_prq_result {
	VTD_PRQ_QUEUED,
	VTD_PRQ_DROPPED,      /* queue full: overflow */
	VTD_PRQ_AUTO_RESPONSE /* hardware answered the device itself */
};
struct vtd_page_req {
	uint16_t sid;
	uint32_t pasid;       /* VTD_PASID_NONE if without PASID */
	bool priv, exec, read, write, last;
	unsigned prgi;
	uint64_t addr;
	uint64_t priv_data[2];
	bool priv_data_present;
};
int vtd_page_request(struct vtd_unit *u, const struct vtd_page_req *r, enum vtd_prq_result *res);


#endif
