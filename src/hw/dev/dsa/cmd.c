/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command interface (SPEC D-1, HW.md 4.4): a CMD write runs the
 * command to completion in the writer's thread, so CMDSTS.active is clear
 * again when the write returns; drain-type commands wait for the work
 * they cover. Error codes as enum idxd_cmdsts_err.
 *
 * Model decisions where the documents leave room:
 *  - DISABLE_DEVICE and DISABLE_WQ drain: descriptors already accepted
 *    complete (with their records) before the WQ reports disabled.
 *  - ABORT_* drops descriptors still queued and abandons one stalled on a
 *    page request; neither writes a completion record. A descriptor an
 *    engine is executing finishes. The WQ stays enabled.
 *  - RESET_WQ aborts and disables the WQ, then WQCFG returns to power-on.
 *  - RESET_DEVICE (and FLR) abort everything, stop the engines and bring
 *    every register back to power-on.
 *  - DRAIN_PASID / ABORT_PASID cover shared WQs and dedicated WQs whose
 *    WQCFG.pasid is the operand; a drain waits for every descriptor of
 *    those WQs submitted before it (a superset of the PASID's).
 *  - ENABLE_DEVICE config errors: 0x14 sum of WQ sizes above
 *    WQCAP.total_wq_size, 0x15 a WQ in two groups, 0x16 an engine in two
 *    groups, 0x17 a group with WQs but no engine, 0x18 read buffers beyond
 *    GRPCAP.total_rdbufs, 0x11 no group with both a WQ and an engine.
 *  - ENABLE_WQ: 0x15 when the WQ is in no group; 0x24 for a shared WQ
 *    without pasid_en (ENQCMD carries a PASID).
 *  - DISABLE_DEVICE on a disabled device: 0x32. WQ commands with an empty
 *    bitmap or a WQ beyond WQCAP.num_wqs: 0x02. Disabling, draining or
 *    aborting a WQ that is not enabled succeeds and does nothing.
 */
#include <errno.h>
#include <string.h>

#include "dsa_int.h"
#include "../../../util/compiler.h"

static bool bit_of(const uint64_t *map, unsigned i)
{
	return (map[i / 64] >> (i % 64)) & 1;
}

/* Lock held. */
static uint32_t check_config(struct dsa *x)
{
	const struct dsa_options *o = &x->opt;
	uint64_t sum = 0;
	for (unsigned w = 0; w < o->wqs; w++)
		sum += x->wqs[w].cfg[0] & DSA_WQCFG_SIZE_MASK;
	if (sum > o->wq_total_size)
		return DSA_CMDSTS_ERR_WQ_SIZE_ERANGE;

	int wq_grp[DSA_MAX_WQS], eng_grp[DSA_MAX_ENGINES];
	memset(wq_grp, -1, sizeof(wq_grp));
	memset(eng_grp, -1, sizeof(eng_grp));
	unsigned reserved = 0;
	bool usable = false;
	for (unsigned g = 0; g < o->groups; g++) {
		const uint64_t *c = x->grpcfg[g];
		unsigned nw = 0, ne = 0;
		for (unsigned w = 0; w < o->wqs; w++) {
			if (!bit_of(c, w))
				continue;
			if (wq_grp[w] >= 0)
				return DSA_CMDSTS_ERR_GRP_CONFIG;
			wq_grp[w] = (int)g;
			nw++;
		}
		for (unsigned e = 0; e < o->engines; e++) {
			if (!((c[4] >> e) & 1))
				continue;
			if (eng_grp[e] >= 0)
				return DSA_CMDSTS_ERR_GRP_CONFIG2;
			eng_grp[e] = (int)g;
			ne++;
		}
		if (nw && !ne)
			return DSA_CMDSTS_ERR_GRP_CONFIG3;
		unsigned res = (unsigned)bits_get(c[5], 15, 8), allowed = (unsigned)bits_get(c[5], 27, 20);
		reserved += res;
		if (allowed > DSA_TOTAL_RDBUFS || reserved > DSA_TOTAL_RDBUFS)
			return DSA_CMDSTS_ERR_GRP_CONFIG4;
		if (nw && ne)
			usable = true;
	}
	if (!usable)
		return DSA_CMDSTS_ERR_CONFIG;
	return DSA_CMDSTS_SUCCESS;
}

/* Lock held: freeze GRPCFG into the runtime groups. */
static void bind_groups(struct dsa *x)
{
	const struct dsa_options *o = &x->opt;
	for (unsigned w = 0; w < o->wqs; w++)
		x->wqs[w].grp = NULL;
	for (unsigned e = 0; e < o->engines; e++)
		x->engines[e].grp = NULL;
	for (unsigned g = 0; g < o->groups; g++) {
		struct dsa_group *grp = &x->groups[g];
		const uint64_t *c = x->grpcfg[g];
		grp->nr_wqs = grp->nr_engines = 0;
		atomic_store(&grp->sleepers, 0);
		for (unsigned w = 0; w < o->wqs; w++) {
			if (bit_of(c, w)) {
				grp->wqs[grp->nr_wqs++] = &x->wqs[w];
				x->wqs[w].grp = grp;
			}
		}
		for (unsigned e = 0; e < o->engines; e++) {
			if ((c[4] >> e) & 1) {
				x->engines[e].grp = grp;
				grp->nr_engines++;
			}
		}
	}
}

static uint32_t enable_device(struct dsa *x)
{
	pthread_mutex_lock(&x->lock);
	uint32_t err = DSA_CMDSTS_SUCCESS;
	if (x->state != DSA_STATE_DISABLED)
		err = DSA_CMDSTS_ERR_DEV_ENABLED;
	else if (!hw_pci_bus_master(x->d))
		err = DSA_CMDSTS_ERR_BUSMASTER_EN;
	else
		err = check_config(x);
	if (!err)
		bind_groups(x);
	pthread_mutex_unlock(&x->lock);
	if (err)
		return err;
	if (dsa_engines_start(x))
		return DSA_CMDSTS_HW_ERR;
	pthread_mutex_lock(&x->lock);
	x->state = DSA_STATE_ENABLED;
	pthread_mutex_unlock(&x->lock);
	return DSA_CMDSTS_SUCCESS;
}

static void set_abort(struct dsa_wq *wq, uint32_t pasid, uint64_t bound)
{
	/* Pasid first: an engine that sees the new bound sees it too. */
	atomic_store_explicit(&wq->abort_pasid, pasid, memory_order_relaxed);
	atomic_store_explicit(&wq->abort_bound, bound, memory_order_release);
}

enum wq_op { WQ_DISABLE, WQ_DRAIN, WQ_ABORT, WQ_RESET };

/* cmd_lock held, lock not held (drains wait for engines). */
static void wq_do(struct dsa *x, struct dsa_wq *wq, enum wq_op op, uint32_t pasid)
{
	if (atomic_load(&wq->enabled)) {
		uint64_t bound;
		if (op == WQ_DISABLE || op == WQ_RESET)
			bound = dsa_wq_close(wq);
		else
			bound = atomic_load(&wq->enq) & ~DSA_WQ_CLOSED;
		if (op == WQ_ABORT || op == WQ_RESET) {
			set_abort(wq, pasid, bound);
			dsa_engines_kick(x);
		}
		dsa_wait_done(x, wq, bound);
		if (op == WQ_DISABLE || op == WQ_RESET) {
			pthread_mutex_lock(&x->lock);
			atomic_store(&wq->enabled, 0);
			pthread_mutex_unlock(&x->lock);
		}
	}
	if (op == WQ_RESET) {
		pthread_mutex_lock(&x->lock);
		dsa_wqcfg_power_on(x, wq);
		pthread_mutex_unlock(&x->lock);
	}
}

static uint32_t disable_device(struct dsa *x)
{
	pthread_mutex_lock(&x->lock);
	bool on = x->state == DSA_STATE_ENABLED;
	pthread_mutex_unlock(&x->lock);
	if (!on)
		return DSA_CMDSTS_ERR_DEV_NOT_EN;
	for (unsigned w = 0; w < x->opt.wqs; w++)
		wq_do(x, &x->wqs[w], WQ_DISABLE, DSA_PASID_ANY);
	dsa_engines_stop(x);
	pthread_mutex_lock(&x->lock);
	x->state = DSA_STATE_DISABLED;
	pthread_mutex_unlock(&x->lock);
	return DSA_CMDSTS_SUCCESS;
}

static uint32_t enable_wq(struct dsa *x, uint32_t idx)
{
	if (idx >= x->opt.wqs)
		return DSA_CMDSTS_INVAL_WQIDX;
	struct dsa_wq *wq = &x->wqs[idx];
	uint32_t err = DSA_CMDSTS_SUCCESS;
	pthread_mutex_lock(&x->lock);
	const uint32_t *c = wq->cfg;
	uint32_t size = c[0] & DSA_WQCFG_SIZE_MASK, used = 0;
	for (unsigned w = 0; w < x->opt.wqs; w++)
		if (w != idx && atomic_load(&x->wqs[w].enabled))
			used += x->wqs[w].run.size;
	bool dedicated = c[2] & DSA_WQCFG_MODE_DEDICATED, pasid_en = c[2] & DSA_WQCFG_PASID_EN;
	unsigned xfer_shift = c[3] & 0x1f, batch_shift = (c[3] >> 5) & 0xf;
	if (x->state != DSA_STATE_ENABLED)
		err = DSA_CMDSTS_ERR_DEV_NOTEN;
	else if (atomic_load(&wq->enabled))
		err = DSA_CMDSTS_ERR_WQ_ENABLED;
	else if (!size || used + size > x->opt.wq_total_size)
		err = DSA_CMDSTS_ERR_WQ_SIZE;
	else if (!dedicated && !pasid_en)
		err = DSA_CMDSTS_ERR_WQ_MODE;
	else if ((c[2] & DSA_WQCFG_BOF) && !(x->gencap & DSA_GENCAP_BOF))
		err = DSA_CMDSTS_ERR_BOF_EN;
	else if (pasid_en && !hw_pci_pasid_enabled(x->d))
		err = DSA_CMDSTS_ERR_PASID_EN;
	else if (batch_shift > DSA_GENCAP_MAX_BATCH_SHIFT(x->gencap))
		err = DSA_CMDSTS_ERR_MAX_BATCH_SIZE;
	else if (xfer_shift > DSA_GENCAP_MAX_XFER_SHIFT(x->gencap))
		err = DSA_CMDSTS_ERR_MAX_XFER_SIZE;
	else if (!wq->grp)
		err = DSA_CMDSTS_ERR_GRP_CONFIG;
	else if (dsa_wq_ring_alloc(x, wq))
		err = DSA_CMDSTS_HW_ERR;
	if (!err) {
		struct dsa_wq_run *r = &wq->run;
		r->size = size;
		r->thresh = c[1] & DSA_WQCFG_THRESH_MASK;
		r->dedicated = dedicated;
		r->bof = (c[2] & DSA_WQCFG_BOF) && !(c[2] & DSA_WQCFG_PRS_DISABLE);
		r->pasid_en = pasid_en;
		r->priv = c[2] & DSA_WQCFG_PRIV;
		r->pasid = DSA_WQCFG_PASID_OF(c[2]);
		r->max_xfer = 1ull << xfer_shift;
		r->max_batch = 1u << batch_shift;
		set_abort(wq, DSA_PASID_ANY, 0);
		dsa_wq_open(wq);
		atomic_store_explicit(&wq->enabled, 1, memory_order_release);
	}
	pthread_mutex_unlock(&x->lock);
	return err;
}

static uint32_t wq_cmd(struct dsa *x, uint32_t operand, enum wq_op op)
{
	uint32_t map = operand & 0xffff, base = ((operand >> 16) & 0xf) * 16;
	if (!map)
		return DSA_CMDSTS_INVAL_WQIDX;
	for (unsigned i = 0; i < 16; i++)
		if (((map >> i) & 1) && base + i >= x->opt.wqs)
			return DSA_CMDSTS_INVAL_WQIDX;
	for (unsigned i = 0; i < 16; i++)
		if ((map >> i) & 1)
			wq_do(x, &x->wqs[base + i], op, DSA_PASID_ANY);
	return DSA_CMDSTS_SUCCESS;
}

static uint32_t pasid_cmd(struct dsa *x, uint32_t pasid, bool abort)
{
	for (unsigned w = 0; w < x->opt.wqs; w++) {
		struct dsa_wq *wq = &x->wqs[w];
		if (!atomic_load(&wq->enabled))
			continue;
		if (wq->run.dedicated && !(wq->run.pasid_en && wq->run.pasid == pasid))
			continue;
		wq_do(x, wq, abort ? WQ_ABORT : WQ_DRAIN, pasid);
	}
	return DSA_CMDSTS_SUCCESS;
}

static uint32_t all_cmd(struct dsa *x, enum wq_op op)
{
	for (unsigned w = 0; w < x->opt.wqs; w++)
		wq_do(x, &x->wqs[w], op, DSA_PASID_ANY);
	return DSA_CMDSTS_SUCCESS;
}

void dsa_reset_all(struct dsa *x)
{
	/* Submissions stop first, then the engines (abandoning stalls),
	 * then whatever is still queued is dropped. */
	for (unsigned w = 0; w < x->opt.wqs; w++)
		dsa_wq_close(&x->wqs[w]);
	dsa_engines_stop(x);
	for (unsigned w = 0; w < x->opt.wqs; w++) {
		struct dsa_wq *wq = &x->wqs[w];
		dsa_wq_drop_all(wq);
		atomic_store(&wq->enabled, 0);
		set_abort(wq, DSA_PASID_ANY, 0);
	}
	pthread_mutex_lock(&x->lock);
	dsa_regs_power_on(x);
	for (unsigned w = 0; w < x->opt.wqs; w++)
		x->wqs[w].grp = NULL;
	for (unsigned g = 0; g < x->opt.groups; g++)
		x->groups[g].nr_wqs = x->groups[g].nr_engines = 0;
	for (unsigned i = 0; i < x->opt.engines; i++) {
		struct dsa_engine *e = &x->engines[i];
		e->grp = NULL;
		for (unsigned w = 0; w < x->opt.wqs; w++) {
			atomic_store(&e->st[w].descs, 0);
			atomic_store(&e->st[w].bytes, 0);
			atomic_store(&e->st[w].faults, 0);
			atomic_store(&e->st[w].prs, 0);
		}
	}
	pthread_mutex_unlock(&x->lock);
}

bool dsa_cmd_run(struct dsa *x, uint32_t v)
{
	unsigned cmd = (v >> 20) & 0x1f;
	uint32_t operand = v & 0xfffff;
	pthread_mutex_lock(&x->lock);
	x->cmd = v;
	x->cmdsts = DSA_CMDSTS_ACTIVE;
	pthread_mutex_unlock(&x->lock);

	uint32_t err;
	switch (cmd) {
	case DSA_CMD_ENABLE_DEVICE:
		err = enable_device(x);
		break;
	case DSA_CMD_DISABLE_DEVICE:
		err = disable_device(x);
		break;
	case DSA_CMD_DRAIN_ALL:
		err = all_cmd(x, WQ_DRAIN);
		break;
	case DSA_CMD_ABORT_ALL:
		err = all_cmd(x, WQ_ABORT);
		break;
	case DSA_CMD_RESET_DEVICE:
		dsa_reset_all(x);
		err = DSA_CMDSTS_SUCCESS;
		break;
	case DSA_CMD_ENABLE_WQ:
		err = enable_wq(x, operand);
		break;
	case DSA_CMD_DISABLE_WQ:
		err = wq_cmd(x, operand, WQ_DISABLE);
		break;
	case DSA_CMD_DRAIN_WQ:
		err = wq_cmd(x, operand, WQ_DRAIN);
		break;
	case DSA_CMD_ABORT_WQ:
		err = wq_cmd(x, operand, WQ_ABORT);
		break;
	case DSA_CMD_RESET_WQ:
		err = wq_cmd(x, operand, WQ_RESET);
		break;
	case DSA_CMD_DRAIN_PASID:
		err = pasid_cmd(x, operand, false);
		break;
	case DSA_CMD_ABORT_PASID:
		err = pasid_cmd(x, operand, true);
		break;
	default:
		err = DSA_CMDSTS_INVAL_CMD;
		break;
	}
	pthread_mutex_lock(&x->lock);
	x->cmdsts = err & 0xff;
	pthread_mutex_unlock(&x->lock);
	return v & DSA_CMD_INT_REQ;
}
