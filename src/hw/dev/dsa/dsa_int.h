/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside the DSA model: the device, its groups, work queues and engines,
 * and how the files of hw/dev/dsa share them.
 *
 *   dsa.c     identity, options, BAR0 register file, SWERR, interrupts
 *   cmd.c     the command state machine (CMD/CMDSTS)
 *   wq.c      work queues as bounded lock-free rings, BAR2 portals
 *   engine.c  engine threads: scheduling, idle/sleep, page requests, drains
 *   ops.c     descriptor execution (NOOP .. BATCH, DRAIN), completion records
 *   crc32c.c  CRC-32C
 *
 * Locks, in the order they nest: cmd_lock (one command, reset or destroy
 * at a time) -> lock (register file and configuration state) -> err_lock
 * (SWERR, INTCAUSE, the interrupt handler). Engines and portals never take
 * cmd_lock or lock: the submit-to-engine path is lock-free.
 */
#ifndef UIOMMU_HW_DEV_DSA_INT_H
#define UIOMMU_HW_DEV_DSA_INT_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "dsa.h"
#include "crc32c.h"
#include "../../pci/dma.h"
#include "../../pci/pci.h"

#define DSA_CACHELINE 64
/* Read buffers the groups may reserve (GRPCAP.total_rdbufs); only the
 * configuration checks use it, the model has no bandwidth control. */
#define DSA_TOTAL_RDBUFS 64

/* Positions in a WQ ring are 64-bit counters that never wrap in practice;
 * bit 63 of the enqueue counter closes the WQ to submissions. */
#define DSA_WQ_CLOSED  (1ull << 63)
#define DSA_POS_IDLE   UINT64_MAX   /* an engine's claim when not on that WQ */
#define DSA_PASID_ANY  0xfffffffeu  /* abort filter: every PASID (not PCI_NO_PASID) */

/*
 * One ring entry is one cache line: the descriptor itself. Its reserved
 * bytes 38-39 carry the publication tag while it sits in the ring (the
 * lap of the position, see wq.c); engines hand the descriptor on with
 * those bytes zero, as software wrote them.
 */
struct dsa_slot {
	alignas(DSA_CACHELINE) struct dsa_hw_desc desc;
};

#define DSA_SLOT_TAG_OFF 38

/* What ENABLE_WQ froze from WQCFG (immutable while the WQ is enabled). */
struct dsa_wq_run {
	uint32_t size;           /* WQCFG.wq_size */
	uint32_t thresh;         /* WQCFG.wq_thresh (limited portal, shared WQ) */
	bool dedicated;
	bool bof;                /* WQCFG.bof and not wq_prs_disable */
	bool pasid_en;
	bool priv;               /* WQCFG.priv (dedicated) */
	uint32_t pasid;          /* WQCFG.pasid (dedicated) */
	uint64_t max_xfer;       /* 1 << WQCFG.max_xfer_shift */
	uint32_t max_batch;      /* 1 << WQCFG.max_batch_shift */
};

struct dsa_group;

struct dsa_wq {
	/* Written by submitters only. */
	alignas(DSA_CACHELINE) _Atomic uint64_t enq;
	_Atomic uint64_t deq_hint;      /* a recent value of deq (occupancy check) */

	/* Written by engines only. */
	alignas(DSA_CACHELINE) _Atomic uint64_t deq;

	/* Read by both sides, written only by commands: kept off the
	 * counters' lines so the hot path does not bounce them. */
	alignas(DSA_CACHELINE) _Atomic(struct dsa_slot *) ring; /* mask + 1 entries; set once */
	_Atomic uint64_t abort_bound;   /* positions below it matching abort_pasid are dropped */
	_Atomic uint32_t abort_pasid;
	uint64_t mask;
	unsigned shift;                 /* log2(mask + 1) */
	struct dsa_group *grp;          /* who to wake; set at ENABLE_DEVICE */
	struct dsa_wq_run run;
	_Atomic int enabled;            /* WQCFG.wq_state, for readers without lock */
	unsigned idx;
	struct dsa *x;
	uint32_t cfg[8];                /* WQCFG, under dsa.lock */
};

/* A group as ENABLE_DEVICE froze it: its WQs and the engines serving them,
 * and the word sleeping engines wait on. */
struct dsa_group {
	alignas(DSA_CACHELINE) _Atomic uint32_t sleepers;
	alignas(DSA_CACHELINE) _Atomic uint32_t futex;
	struct dsa_wq *wqs[DSA_MAX_WQS];
	unsigned nr_wqs;
	unsigned nr_engines;
	unsigned idx;
};

/* Per-engine, per-WQ counters; each written only by its engine. */
struct dsa_counters {
	_Atomic uint64_t descs, bytes, faults, prs;
};

/* A translation kept for the rest of one DMA section (ops.c). */
struct dsa_xcache {
	uint64_t start, end;     /* request addresses [start, end) */
	uint8_t *host;           /* host pointer of start */
	uint64_t key;            /* DSA_XKEY(); 0 when empty */
};

/* Who asked and how: PASID, privilege, write, and a valid bit, in one
 * word so a lookup is one compare. */
#define DSA_XKEY(pasid, priv, write) \
	((uint64_t)(pasid) | ((uint64_t)!!(priv) << 32) | ((uint64_t)!!(write) << 33) | (1ull << 34))

#define DSA_XCACHE_ENTRIES 4

/* A completion record waiting to be written (ops.c): where, and its four
 * qwords, the status in the low byte of the first. */
struct dsa_pending_record {
	uint8_t *host;
	uint64_t q[4];
};

#define DSA_PENDING_RECORDS 16

struct dsa_engine {
	struct dsa *x;
	unsigned idx;
	struct dsa_group *grp;          /* NULL: in no group, not running */
	pthread_t thread;
	bool running;                   /* thread created (under cmd_lock) */
	_Atomic bool live;              /* set by the thread itself, with self */
	pthread_t self;
	_Atomic bool stop;
	struct pci_dma_ctx *dma;
	bool in_section;
	struct dsa_xcache xc[DSA_XCACHE_ENTRIES];
	/* Records of the current fetch, written together at its end (their
	 * lines were prefetched for ownership at the fetch); always before
	 * the section ends, a wait, an interrupt or the claim moves on. */
	struct dsa_pending_record pend[DSA_PENDING_RECORDS];
	unsigned npend;
	unsigned rr;                    /* round-robin cursor over the group's WQs */

	/* Per WQ, the first position of the current fetch, held until its
	 * last record is written (DSA_POS_IDLE when none): drains wait for
	 * claims below their bound. */
	_Atomic uint64_t claim[DSA_MAX_WQS];

	/* Page request wait (block on fault). */
	pthread_mutex_t prg_lock;
	pthread_cond_t prg_cond;
	unsigned prg_gen;
	int prg_wait;                   /* PRG index awaited, -1 when none */
	bool prg_done;
	unsigned prg_code;
	unsigned prg_kick;              /* bumped to make a waiter re-check aborts */

	struct dsa_counters st[DSA_MAX_WQS];
};

struct dsa {
	struct hw_pci_function *d;
	struct dsa_options opt;
	pthread_mutex_t cmd_lock;
	pthread_mutex_t lock;
	pthread_mutex_t err_lock;
	/* Inline engines (opt.inline_engines): one submitter at a time runs
	 * the engines of a group, in its own thread. */
	pthread_mutex_t inline_lock;

	/* Register file (under lock). */
	uint64_t gencap, wqcap, grpcap, engcap, opcap[4];
	uint32_t gencfg, genctrl, cmd, cmdsts;
	enum dsa_dev_state state;
	uint64_t grpcfg[DSA_MAX_GROUPS][8];
	/* Under err_lock. */
	uint32_t intcause;
	uint64_t swerr[4];
	dsa_irq_fn irq_fn;
	void *irq_opaque;

	struct dsa_wq *wqs;             /* opt.wqs */
	struct dsa_group *groups;       /* opt.groups */
	struct dsa_engine *engines;     /* opt.engines */
	uint64_t ring_cap;              /* slots per ring: power of two >= total size */

	struct crc32c crc;
	bool prefetchw;                 /* the CPU has PREFETCHW */
};

static inline struct dsa *dsa_of(const struct hw_pci_function *d)
{
	return d->model;
}

/* dsa.c */
struct dsa_swerr_info {
	uint8_t error;
	bool desc_valid, wq_valid, batch, fault_write, priv;
	unsigned wq, batch_idx;
	uint8_t opcode;
	uint32_t pasid, invalid_flags;
	uint64_t fault_addr;
};
void dsa_swerr(struct dsa *x, const struct dsa_swerr_info *e);
void dsa_raise(struct dsa *x, unsigned vector, uint32_t cause);
void dsa_regs_power_on(struct dsa *x);
void dsa_wqcfg_power_on(struct dsa *x, struct dsa_wq *wq);

/* cmd.c: run a CMD register write; returns true to raise the command
 * completion interrupt. Called with cmd_lock held, lock not held. */
bool dsa_cmd_run(struct dsa *x, uint32_t cmd);
/* Stop everything and return to power-on state (RESET_DEVICE, FLR). */
void dsa_reset_all(struct dsa *x);
/* Refuse-to-run check: is the calling thread one of our engines? */
bool dsa_on_engine_thread(const struct dsa *x);

/* wq.c */
int dsa_wq_ring_alloc(struct dsa *x, struct dsa_wq *wq);
void dsa_wq_free(struct dsa_wq *wq);
void dsa_wq_open(struct dsa_wq *wq);
uint64_t dsa_wq_close(struct dsa_wq *wq);
void dsa_wq_drop_all(struct dsa_wq *wq);
uint32_t dsa_wq_occupancy(const struct dsa_wq *wq);
bool dsa_wq_pending(const struct dsa_wq *wq);
bool dsa_wq_ready(struct dsa_wq *wq);

/* engine.c */
int dsa_engines_start(struct dsa *x);
void dsa_engines_stop(struct dsa *x);
/* Inline mode: run the engines of `g` in the calling thread until its WQs
 * are empty (after a portal write). */
void dsa_inline_run(struct dsa *x, struct dsa_group *g);
void dsa_engines_kick(struct dsa *x);
void dsa_wait_done(struct dsa *x, struct dsa_wq *wq, uint64_t bound);
void dsa_prg_response(struct hw_pci_function *d, uint32_t pasid, bool pasid_valid, unsigned prgi,
		      unsigned code);

/* The lock-free fetch, used by engines (wq.c): up to `max` descriptors
 * from positions *pos on, copied out; the engine's claim on the WQ is
 * *pos. Returns how many. */
unsigned dsa_wq_fetch(struct dsa_engine *e, struct dsa_wq *wq, struct dsa_hw_desc *out,
			  unsigned max, uint64_t *pos);

/* ops.c: execute one descriptor fetched from `wq` at `pos`. Called inside a
 * DMA section; may end and restart it. The caller moves the claim on. */
void dsa_exec(struct dsa_engine *e, struct dsa_wq *wq, uint64_t pos, struct dsa_hw_desc *desc);

void dsa_prefetch_record(struct dsa_engine *e, struct dsa_wq *wq, const struct dsa_hw_desc *desc);
void dsa_flush_records(struct dsa_engine *e);

/* PREFETCHW (callers check dsa.prefetchw); a hint elsewhere. */
static inline void dsa_prefetchw(const void *p)
{
#if defined(__x86_64__)
	__asm__ __volatile__("prefetchw %0" : : "m"(*(const volatile char *)p));
#else
	__builtin_prefetch(p, 1, 3);
#endif
}

/* engine.c helpers for ops.c */
void dsa_sect_begin(struct dsa_engine *e);
void dsa_sect_end(struct dsa_engine *e);
/* Ask for the page and wait for the answer (outside any section): 0 on a
 * Success response, -1 otherwise (refused, failed, aborted, timed out). */
int dsa_page_request_wait(struct dsa_engine *e, struct dsa_wq *wq, uint64_t pos, uint32_t pasid,
			  bool priv, uint64_t addr, bool write);
bool dsa_aborted(struct dsa_engine *e, struct dsa_wq *wq, uint64_t pos, uint32_t pasid);
void dsa_drain_wait(struct dsa_engine *e, struct dsa_wq *wq, uint64_t pos, uint32_t pasid);

/* Sleeping engines wait on their group's futex word; a submitter that
 * sees sleepers bumps it and wakes one. */
static inline void dsa_futex_wait(_Atomic uint32_t *w, uint32_t val, const struct timespec *rel)
{
	syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT_PRIVATE, val, rel, NULL, 0);
}

static inline void dsa_group_wake(struct dsa_group *g, int n)
{
	atomic_fetch_add_explicit(&g->futex, 1, memory_order_seq_cst);
	syscall(SYS_futex, (uint32_t *)&g->futex, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

static inline void dsa_count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

#endif
