/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Engines (SPEC D-1, D-4): one thread per engine of a group, running from
 * ENABLE_DEVICE until the device is disabled, reset or destroyed (or, with
 * dsa_options.inline_engines, no threads: dsa_inline_run). An
 * engine serves the WQs of its group round-robin, executes descriptors
 * inside DMA sections of its own context (hw/mem/inflight.h), spins a
 * little when the WQs run dry and then sleeps on the group's futex with
 * its context offline. Page requests for block-on-fault descriptors and
 * drain waits happen outside sections, offline too, so invalidations
 * never wait for a stalled engine.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dsa_int.h"
#include "../../pci/pri.h"
#include "../../../util/compiler.h"

#define DSA_SPIN_NS     50000ull  /* idle spinning before sleeping */
#define DSA_SLEEP_S     1         /* safety net on the futex wait */
#define DSA_BURST       64        /* descriptors per section, at most */
#define DSA_FETCH_MAX   8         /* descriptors taken from a WQ at once */
#define DSA_PRG_TIMEOUT 5         /* seconds a stalled descriptor waits */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_us(unsigned us)
{
	struct timespec ts = { 0, (long)us * 1000 };
	nanosleep(&ts, NULL);
}

void dsa_sect_begin(struct dsa_engine *e)
{
	pci_dma_begin(e->dma);
	e->in_section = true;
}

void dsa_sect_end(struct dsa_engine *e)
{
	/* Pending records use pointers of this section. */
	dsa_flush_records(e);
	/* Translations kept in the section die with it. */
	for (unsigned i = 0; i < DSA_XCACHE_ENTRIES; i++)
		e->xc[i].key = 0;
	pci_dma_end(e->dma);
	e->in_section = false;
}

static bool stopping(const struct dsa_engine *e)
{
	return atomic_load_explicit(&e->stop, memory_order_relaxed);
}

bool dsa_aborted(struct dsa_engine *e, struct dsa_wq *wq, uint64_t pos, uint32_t pasid)
{
	if (stopping(e))
		return true;
	uint64_t b = atomic_load_explicit(&wq->abort_bound, memory_order_acquire);
	if (likely(pos >= b))
		return false;
	uint32_t ap = atomic_load_explicit(&wq->abort_pasid, memory_order_relaxed);
	return ap == DSA_PASID_ANY || ap == pasid;
}

static bool group_pending(const struct dsa_group *g)
{
	for (unsigned i = 0; i < g->nr_wqs; i++)
		if (dsa_wq_pending(g->wqs[i]))
			return true;
	return false;
}

/* Is a descriptor published at the head of a WQ? Looks at the slot the
 * submitter writes next rather than at its counter, which it updates with
 * a locked instruction on every submission. */
static bool group_ready(const struct dsa_group *g)
{
	for (unsigned i = 0; i < g->nr_wqs; i++)
		if (dsa_wq_ready(g->wqs[i]))
			return true;
	return false;
}

static bool run_some(struct dsa_engine *e)
{
	struct dsa_group *g = e->grp;
	unsigned n = g->nr_wqs, done = 0;
	bool more = true;
	while (more && done < DSA_BURST && !stopping(e)) {
		more = false;
		for (unsigned i = 0; i < n && done < DSA_BURST; i++) {
			struct dsa_wq *wq = g->wqs[e->rr];
			if (++e->rr >= n)
				e->rr = 0;
			struct dsa_hw_desc desc[DSA_FETCH_MAX];
			uint64_t pos;
			/* Up to a few at once, then the next WQ's turn. */
			unsigned got = dsa_wq_fetch(e, wq, desc, DSA_FETCH_MAX, &pos);
			if (!got)
				continue;
			if (!e->in_section)
				dsa_sect_begin(e);
			/* The claim stays on pos until the last record of the
			 * fetch is out (records are written at its end). */
			for (unsigned k = 0; k < got; k++)
				dsa_prefetch_record(e, wq, &desc[k]);
			for (unsigned k = 0; k < got; k++)
				dsa_exec(e, wq, pos + k, &desc[k]);
			dsa_flush_records(e);
			/* Done, records written: drains may pass these now. */
			atomic_store_explicit(&e->claim[wq->idx], DSA_POS_IDLE, memory_order_release);
			done += got;
			more = true;
		}
	}
	if (e->in_section)
		dsa_sect_end(e);
	return done > 0;
}

static void idle(struct dsa_engine *e)
{
	struct dsa_group *g = e->grp;
	/* A streaming submitter refills within nanoseconds; a futex round
	 * trip costs microseconds. */
	uint64_t t0 = now_ns();
	for (unsigned i = 1;; i++) {
		if (group_ready(g) || stopping(e))
			return;
		/* Back off between looks: an engine re-reading the line the
		 * submitter is about to write only slows that write down. */
		for (unsigned k = 0; k < 8; k++)
			cpu_relax();
		if (!(i & 7) && now_ns() - t0 > DSA_SPIN_NS)
			break;
	}
	/* Announce, then look again (pairs with wq_push). */
	atomic_fetch_add_explicit(&g->sleepers, 1, memory_order_seq_cst);
	uint32_t w = atomic_load_explicit(&g->futex, memory_order_seq_cst);
	if (!group_pending(g) && !stopping(e)) {
		pci_dma_ctx_offline(e->dma);
		struct timespec ts = { DSA_SLEEP_S, 0 };
		dsa_futex_wait(&g->futex, w, &ts);
		pci_dma_ctx_online(e->dma);
	}
	atomic_fetch_sub_explicit(&g->sleepers, 1, memory_order_seq_cst);
}

static void *engine_main(void *arg)
{
	struct dsa_engine *e = arg;
	/* Known as an engine thread before anything can call out of it. */
	e->self = pthread_self();
	atomic_store_explicit(&e->live, true, memory_order_release);
	pci_dma_ctx_online(e->dma);
	while (!stopping(e)) {
		if (!run_some(e))
			idle(e);
	}
	pci_dma_ctx_offline(e->dma);
	atomic_store_explicit(&e->live, false, memory_order_release);
	return NULL;
}

void dsa_inline_run(struct dsa *x, struct dsa_group *g)
{
	pthread_mutex_lock(&x->inline_lock);
	/* One engine of the group serves it: the order of completions is
	 * then the order of submission, as the tests want. */
	for (unsigned i = 0; i < x->opt.engines; i++) {
		struct dsa_engine *e = &x->engines[i];
		if (e->grp != g || !e->running || stopping(e))
			continue;
		e->self = pthread_self();
		atomic_store_explicit(&e->live, true, memory_order_release);
		pci_dma_ctx_online(e->dma);
		while (run_some(e) && !stopping(e))
			;
		pci_dma_ctx_offline(e->dma);
		atomic_store_explicit(&e->live, false, memory_order_release);
		break;
	}
	pthread_mutex_unlock(&x->inline_lock);
}

int dsa_engines_start(struct dsa *x)
{
	for (unsigned i = 0; i < x->opt.engines; i++) {
		struct dsa_engine *e = &x->engines[i];
		if (!e->grp)
			continue;
		atomic_store(&e->stop, false);
		e->rr = 0;
		e->in_section = false;
		for (unsigned w = 0; w < DSA_MAX_WQS; w++)
			atomic_store(&e->claim[w], DSA_POS_IDLE);
		if (x->opt.inline_engines) {
			e->running = true;
			continue;
		}
		int rc = pthread_create(&e->thread, NULL, engine_main, e);
		if (rc) {
			dsa_engines_stop(x);
			return -rc;
		}
		char name[16];
		snprintf(name, sizeof(name), "dsa-eng%u", i & 0xff);
		pthread_setname_np(e->thread, name);
		e->running = true;
	}
	return 0;
}

void dsa_engines_kick(struct dsa *x)
{
	for (unsigned i = 0; i < x->opt.engines; i++) {
		struct dsa_engine *e = &x->engines[i];
		pthread_mutex_lock(&e->prg_lock);
		e->prg_kick++;
		pthread_cond_broadcast(&e->prg_cond);
		pthread_mutex_unlock(&e->prg_lock);
	}
}

void dsa_engines_stop(struct dsa *x)
{
	for (unsigned i = 0; i < x->opt.engines; i++)
		if (x->engines[i].running)
			atomic_store(&x->engines[i].stop, true);
	for (unsigned g = 0; g < x->opt.groups; g++)
		dsa_group_wake(&x->groups[g], INT_MAX);
	dsa_engines_kick(x);
	/* An inline run in progress sees stop and returns. */
	if (x->opt.inline_engines)
		pthread_mutex_lock(&x->inline_lock);
	for (unsigned i = 0; i < x->opt.engines; i++) {
		struct dsa_engine *e = &x->engines[i];
		if (!e->running)
			continue;
		if (!x->opt.inline_engines)
			pthread_join(e->thread, NULL);
		e->running = false;
		for (unsigned w = 0; w < DSA_MAX_WQS; w++)
			atomic_store(&e->claim[w], DSA_POS_IDLE);
	}
	if (x->opt.inline_engines)
		pthread_mutex_unlock(&x->inline_lock);
}

static bool claims_below(struct dsa *x, const struct dsa_engine *self, unsigned wq, uint64_t bound)
{
	for (unsigned i = 0; i < x->opt.engines; i++) {
		const struct dsa_engine *e = &x->engines[i];
		if (e != self && atomic_load_explicit(&e->claim[wq], memory_order_acquire) < bound)
			return true;
	}
	return false;
}

void dsa_wait_done(struct dsa *x, struct dsa_wq *wq, uint64_t bound)
{
	unsigned us = 5;
	for (;;) {
		/* Every position below the bound taken, none still running. */
		if (atomic_load_explicit(&wq->deq, memory_order_acquire) >= bound &&
		    !claims_below(x, NULL, wq->idx, bound))
			return;
		bool alive = false;
		for (unsigned i = 0; i < x->opt.engines; i++)
			if (x->engines[i].running && x->engines[i].grp == wq->grp)
				alive = true;
		if (!alive)
			return; /* nobody to run it; reset drops it */
		sleep_us(us);
		if (us < 1000)
			us *= 2;
	}
}

void dsa_drain_wait(struct dsa_engine *e, struct dsa_wq *wq, uint64_t pos, uint32_t pasid)
{
	/* Positions below ours are all taken (we hold pos); wait for the
	 * other engines of the group to finish theirs. */
	if (!claims_below(e->x, e, wq->idx, pos))
		return;
	bool was = e->in_section;
	if (was)
		dsa_sect_end(e);
	pci_dma_ctx_offline(e->dma);
	unsigned us = 2;
	while (claims_below(e->x, e, wq->idx, pos) && !dsa_aborted(e, wq, pos, pasid)) {
		sleep_us(us);
		if (us < 500)
			us *= 2;
	}
	pci_dma_ctx_online(e->dma);
	if (was)
		dsa_sect_begin(e);
}

int dsa_page_request_wait(struct dsa_engine *e, struct dsa_wq *wq, uint64_t pos, uint32_t pasid,
			  bool priv, uint64_t addr, bool write)
{
	struct hw_pci_function *d = e->x->d;
	/* One request outstanding per engine: the PRG index names the engine
	 * (bits 5:0) and a generation (8:6), so a late answer to an abandoned
	 * request does not wake the next one. */
	unsigned prgi = ((e->prg_gen++ & 7u) << 6) | e->idx;
	pthread_mutex_lock(&e->prg_lock);
	e->prg_wait = (int)prgi;
	e->prg_done = false;
	e->prg_code = 0;
	pthread_mutex_unlock(&e->prg_lock);

	pci_dma_ctx_offline(e->dma);
	dsa_count(&e->st[wq->idx].prs, 1);
	struct timespec dl;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += DSA_PRG_TIMEOUT;
	uint64_t end = now_ns() + DSA_PRG_TIMEOUT * 1000000000ull;
	int rc;
	for (;;) {
		rc = pci_pri_page_request(d, pasid, priv, addr & ~0xfffull, true, write, false, prgi,
					  true);
		/* The function's allocation is used up: wait for answers. */
		if (rc != -EBUSY || dsa_aborted(e, wq, pos, pasid) || now_ns() > end)
			break;
		sleep_us(50);
	}
	int ret = -1;
	/* An answer usually comes within microseconds: poll for it a while,
	 * as for new descriptors, before sleeping (iopf.roundtrip_us). */
	if (rc == 0) {
		uint64_t spin_end = now_ns() + DSA_SPIN_NS;
		for (unsigned i = 0; !__atomic_load_n(&e->prg_done, __ATOMIC_ACQUIRE); i++) {
			if ((i & 63) == 0 &&
			    (now_ns() > spin_end || dsa_aborted(e, wq, pos, pasid)))
				break;
			cpu_relax();
		}
	}
	pthread_mutex_lock(&e->prg_lock);
	if (rc == 0) {
		while (!e->prg_done) {
			if (dsa_aborted(e, wq, pos, pasid)) {
				ret = -2;
				break;
			}
			if (pthread_cond_timedwait(&e->prg_cond, &e->prg_lock, &dl) == ETIMEDOUT)
				break;
		}
		if (e->prg_done)
			ret = e->prg_code == 0 ? 0 : -1;
	} else if (dsa_aborted(e, wq, pos, pasid)) {
		ret = -2;
	}
	e->prg_wait = -1;
	pthread_mutex_unlock(&e->prg_lock);
	pci_dma_ctx_online(e->dma);
	return ret;
}

void dsa_prg_response(struct hw_pci_function *d, uint32_t pasid, bool pasid_valid, unsigned prgi,
		      unsigned code)
{
	(void)pasid;
	(void)pasid_valid;
	struct dsa *x = dsa_of(d);
	if (!x || (prgi & 63) >= x->opt.engines)
		return;
	struct dsa_engine *e = &x->engines[prgi & 63];
	pthread_mutex_lock(&e->prg_lock);
	if (e->prg_wait == (int)prgi) {
		e->prg_code = code;
		__atomic_store_n(&e->prg_done, true, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&e->prg_cond);
	}
	pthread_mutex_unlock(&e->prg_lock);
}
