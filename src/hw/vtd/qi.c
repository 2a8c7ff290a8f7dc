/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Queued invalidation (VT-d 6.5.2): the unit fetches descriptors from
 * IQH up to IQT and performs them in order (inv_desc.c executes each).
 *
 * Processing never holds the register lock: a wait descriptor completes
 * only after every DMA that may still use a translation removed before it
 * has finished (synchronize_dma), an unbounded wait. The queue has its own
 * mutex (one processor at a time); each step takes reg_lock only to read
 * the pointers and to move IQH, so software reads IQH, FSTS and the fault
 * records while the unit works, as on hardware.
 *
 * Who processes: by default the thread that moved the tail (or enabled
 * the queue, or cleared IQE), once its register write is done - the unit
 * is "infinitely fast", a legal timing of real hardware. With the
 * `qi_thread` option the unit has a thread of its own that takes the
 * queue whenever it is kicked, so software sees the queue drain behind
 * its back and must read IQH for room, as a driver for real hardware must.
 */
#include <errno.h>

#include "vtd.h"
#include "../mem/mem.h"

/* reg_lock held. */
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

struct qi_run {
	uint64_t base;    /* IQA's address */
	uint64_t head;    /* IQH */
	uint64_t tail;    /* IQT when the run was taken */
	uint64_t size;
	bool dw;
};

/* The descriptors to run, IQH up to IQT, or false when there are none
 * (empty, off, stopped on an error, or a bad tail, which raises the
 * error). reg_lock held. */
static bool next_run_locked(struct vtd_unit *u, struct qi_run *r)
{
	if (!(u->gsts & VTD_GSTS_QIES) || (u->fsts & VTD_FSTS_IQE))
		return false;
	r->dw = u->iqa & VTD_IQA_DW;
	r->size = VTD_PAGE_SIZE << VTD_IQA_QS(u->iqa);
	if (r->dw && (u->iqt & 0x10)) {
		queue_error(u, VTD_IQEI_TAIL_ALIGN);
		return false;
	}
	if (u->iqt >= r->size) {
		queue_error(u, VTD_IQEI_TAIL);
		return false;
	}
	if (u->iqh == u->iqt)
		return false;
	r->head = u->iqh;
	r->tail = u->iqt;
	r->base = u->iqa & VTD_IQA_ADDR_MASK;
	return true;
}

/* Run descriptors from r->head until r->tail or an error; returns the
 * error's IQEI code (0: none) with r->head on the offender. No lock. */
static unsigned run(struct vtd_unit *u, struct qi_run *r)
{
	unsigned dsz = r->dw ? 32 : 16;
	while (r->head != r->tail) {
		uint64_t q[4] = { 0 };
		for (unsigned i = 0; i < dsz / 8; i++)
			if (!hw_read64(r->base + r->head + 8 * i, &q[i]))
				return VTD_IQEI_FETCH;
		stat_inc(&u->st.inv_desc);
		unsigned err = vtd_inv_desc_execute(u, q, r->dw);
		if (err)
			return err;
		r->head = (r->head + dsz) % r->size;
	}
	return 0;
}

/* Run the queue until it is empty or stops on an error. qi_lock held.
 * IQH moves once per run of descriptors, as hardware may move it late:
 * software learns of completions from wait descriptors, not from IQH. */
static void drain_locked(struct vtd_unit *u)
{
	struct qi_run r;
	spin_lock(&u->reg_lock);
	while (next_run_locked(u, &r)) {
		spin_unlock(&u->reg_lock);
		unsigned err = run(u, &r);
		spin_lock(&u->reg_lock);
		u->iqh = r.head; /* on the offender after an error (6.5.2.10) */
		if (err) {
			queue_error(u, err);
			break;
		}
	}
	spin_unlock(&u->reg_lock);
}

static void *qi_thread(void *arg)
{
	struct vtd_unit *u = arg;
	pthread_mutex_lock(&u->qi.kick_lock);
	for (;;) {
		while (!u->qi.kicked && !u->qi.stop)
			pthread_cond_wait(&u->qi.cond, &u->qi.kick_lock);
		if (u->qi.stop)
			break;
		u->qi.kicked = false;
		pthread_mutex_unlock(&u->qi.kick_lock);
		mutex_lock(&u->qi.lock);
		drain_locked(u);
		mutex_unlock(&u->qi.lock);
		vtd_send_pending_irqs(u);
		pthread_mutex_lock(&u->qi.kick_lock);
	}
	pthread_mutex_unlock(&u->qi.kick_lock);
	return NULL;
}

int vtd_qi_init(struct vtd_unit *u)
{
	mutex_init(&u->qi.lock);
	pthread_mutex_init(&u->qi.kick_lock, NULL);
	pthread_cond_init(&u->qi.cond, NULL);
	if (!u->cfg.qi_thread)
		return 0;
	int rc = pthread_create(&u->qi.thread, NULL, qi_thread, u);
	if (rc) {
		pthread_cond_destroy(&u->qi.cond);
		pthread_mutex_destroy(&u->qi.kick_lock);
		return -rc;
	}
	u->qi.threaded = true;
	return 0;
}

void vtd_qi_fini(struct vtd_unit *u)
{
	if (u->qi.threaded) {
		pthread_mutex_lock(&u->qi.kick_lock);
		u->qi.stop = true;
		pthread_cond_signal(&u->qi.cond);
		pthread_mutex_unlock(&u->qi.kick_lock);
		pthread_join(u->qi.thread, NULL);
	}
	pthread_cond_destroy(&u->qi.cond);
	pthread_mutex_destroy(&u->qi.kick_lock);
}

void vtd_qi_kick(struct vtd_unit *u)
{
	if (u->qi.threaded) {
		pthread_mutex_lock(&u->qi.kick_lock);
		u->qi.kicked = true;
		pthread_cond_signal(&u->qi.cond);
		pthread_mutex_unlock(&u->qi.kick_lock);
		return;
	}
	mutex_lock(&u->qi.lock);
	drain_locked(u);
	mutex_unlock(&u->qi.lock);
	/* (The register write that kicked us hands what this raised to the
	 * interrupt thread: its caller may hold locks, regs.c.) */
}
