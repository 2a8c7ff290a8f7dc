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

struct qi_step {
	uint64_t addr;    /* the descriptor at IQH */
	uint64_t head;
	uint64_t size;
	bool dw;
};

/* The next descriptor to run, or false when there is none (empty, off,
 * stopped on an error, or a bad tail, which raises the error). */
static bool next_step(struct vtd_unit *u, struct qi_step *s)
{
	spin_lock(&u->reg_lock);
	bool go = false;
	if (!(u->gsts & VTD_GSTS_QIES) || (u->fsts & VTD_FSTS_IQE))
		goto out;
	s->dw = u->iqa & VTD_IQA_DW;
	s->size = VTD_PAGE_SIZE << VTD_IQA_QS(u->iqa);
	if (s->dw && (u->iqt & 0x10)) {
		queue_error(u, VTD_IQEI_TAIL_ALIGN);
		goto out;
	}
	if (u->iqt >= s->size) {
		queue_error(u, VTD_IQEI_TAIL);
		goto out;
	}
	if (u->iqh == u->iqt)
		goto out;
	s->head = u->iqh;
	s->addr = (u->iqa & VTD_IQA_ADDR_MASK) + u->iqh;
	go = true;
out:
	spin_unlock(&u->reg_lock);
	return go;
}

/* Run the queue until it is empty or stops on an error. qi_lock held. */
static void drain_locked(struct vtd_unit *u)
{
	struct qi_step s;
	while (next_step(u, &s)) {
		uint64_t q[4] = { 0 };
		unsigned dsz = s.dw ? 32 : 16, err = 0;
		for (unsigned i = 0; i < dsz / 8 && !err; i++)
			if (!hw_read64(s.addr + 8 * i, &q[i]))
				err = VTD_IQEI_FETCH;
		if (!err) {
			stat_inc(&u->st.inv_desc);
			err = vtd_inv_desc_execute(u, q, s.dw);
		}
		spin_lock(&u->reg_lock);
		if (err)
			queue_error(u, err); /* IQH stays on the offender (6.5.2.10) */
		else if (u->iqh == s.head)
			u->iqh = (s.head + dsz) % s.size;
		spin_unlock(&u->reg_lock);
		if (err)
			break;
	}
}

static void *qi_thread(void *arg)
{
	struct vtd_unit *u = arg;
	pthread_mutex_lock(&u->qi.lock);
	for (;;) {
		while (!u->qi.kicked && !u->qi.stop)
			pthread_cond_wait(&u->qi.cond, &u->qi.lock);
		if (u->qi.stop)
			break;
		u->qi.kicked = false;
		drain_locked(u);
		pthread_mutex_unlock(&u->qi.lock);
		vtd_send_pending_irqs(u);
		pthread_mutex_lock(&u->qi.lock);
	}
	pthread_mutex_unlock(&u->qi.lock);
	return NULL;
}

int vtd_qi_init(struct vtd_unit *u)
{
	pthread_mutex_init(&u->qi.lock, NULL);
	pthread_cond_init(&u->qi.cond, NULL);
	if (!u->cfg.qi_thread)
		return 0;
	int rc = pthread_create(&u->qi.thread, NULL, qi_thread, u);
	if (rc) {
		pthread_cond_destroy(&u->qi.cond);
		pthread_mutex_destroy(&u->qi.lock);
		return -rc;
	}
	u->qi.threaded = true;
	return 0;
}

void vtd_qi_fini(struct vtd_unit *u)
{
	if (u->qi.threaded) {
		pthread_mutex_lock(&u->qi.lock);
		u->qi.stop = true;
		pthread_cond_signal(&u->qi.cond);
		pthread_mutex_unlock(&u->qi.lock);
		pthread_join(u->qi.thread, NULL);
	}
	pthread_cond_destroy(&u->qi.cond);
	pthread_mutex_destroy(&u->qi.lock);
}

void vtd_qi_kick(struct vtd_unit *u)
{
	pthread_mutex_lock(&u->qi.lock);
	if (u->qi.threaded) {
		u->qi.kicked = true;
		pthread_cond_signal(&u->qi.cond);
		pthread_mutex_unlock(&u->qi.lock);
		return;
	}
	drain_locked(u);
	pthread_mutex_unlock(&u->qi.lock);
	/* (The register write that kicked us hands what this raised to the
	 * interrupt thread: its caller may hold locks, regs.c.) */
}
