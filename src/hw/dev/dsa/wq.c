/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Work queues and their portals (SPEC D-1, D-2; HW.md 4.6).
 *
 * A WQ is a bounded multi-producer/multi-consumer ring of 64-byte
 * descriptors, one cache line per entry. A submitter claims a position with
 * one CAS on the enqueue counter, writes the descriptor and publishes it
 * by storing a tag (the position's lap) into the descriptor's reserved
 * bytes 38-39 last, with release ordering. An engine that finds the tag of
 * the position it expects copies the descriptor out, then advances the
 * dequeue counter (a CAS when several engines serve the WQ, a plain store
 * when one does); a slot is free for the next lap once the counter has
 * passed it. So a descriptor crosses from the submitter's core to the
 * engine's as a single line, and nothing on the path takes a lock or makes
 * a system call unless an engine of the group is asleep.
 *
 * The ring has a power-of-two capacity covering WQCAP.total_wq_size and is
 * allocated when the WQ is first enabled, then kept until the device goes
 * away, so a submitter racing with a disable never touches freed memory.
 * WQCFG.wq_size (and wq_thresh on a limited portal) is enforced against a
 * cached copy of the dequeue counter, which is also what keeps a submitter
 * off a slot still in use. Bit 63 of the enqueue counter closes the WQ: a
 * submitter sees it in the same word it claims positions from.
 */
#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dsa_int.h"
#include "../../../util/compiler.h"

_Static_assert(offsetof(struct dsa_hw_desc, rsvd1) == DSA_SLOT_TAG_OFF, "tag in rsvd1");
_Static_assert(sizeof(struct dsa_slot) == DSA_CACHELINE, "one line per slot");

/* The tag of position p: its lap, plus one so a zeroed ring holds none. */
static inline uint16_t slot_tag(const struct dsa_wq *wq, uint64_t p)
{
	return (uint16_t)((p >> wq->shift) + 1);
}

/* Qword 4 of a slot: xfer_size, int_handle and the tag (bits 63:48). */
static inline _Atomic uint64_t *q4_of(struct dsa_slot *s)
{
	return (_Atomic uint64_t *)((uint8_t *)s + 32);
}

static inline uint16_t tag_in(struct dsa_slot *s)
{
	return (uint16_t)(atomic_load_explicit(q4_of(s), memory_order_acquire) >> 48);
}

int dsa_wq_ring_alloc(struct dsa *x, struct dsa_wq *wq)
{
	if (atomic_load_explicit(&wq->ring, memory_order_relaxed))
		return 0;
	uint64_t n = x->ring_cap;
	struct dsa_slot *r = aligned_alloc(DSA_CACHELINE, n * sizeof(*r));
	if (!r)
		return -ENOMEM;
	memset(r, 0, n * sizeof(*r));
	wq->mask = n - 1;
	wq->shift = (unsigned)__builtin_ctzll(n);
	/* The WQ is disabled and empty: positions continue from deq, and
	 * each slot holds the tag of the lap before its next position. */
	uint64_t base = atomic_load(&wq->deq);
	for (uint64_t i = 0; i < n; i++)
		atomic_init(q4_of(&r[(base + i) & (n - 1)]),
			    (uint64_t)(uint16_t)(slot_tag(wq, base + i) - 1) << 48);
	atomic_store_explicit(&wq->ring, r, memory_order_release);
	return 0;
}

void dsa_wq_free(struct dsa_wq *wq)
{
	free(atomic_load(&wq->ring));
	atomic_store(&wq->ring, NULL);
}

void dsa_wq_open(struct dsa_wq *wq)
{
	atomic_store_explicit(&wq->deq_hint, atomic_load(&wq->deq), memory_order_relaxed);
	atomic_fetch_and_explicit(&wq->enq, ~DSA_WQ_CLOSED, memory_order_release);
}

uint64_t dsa_wq_close(struct dsa_wq *wq)
{
	return atomic_fetch_or(&wq->enq, DSA_WQ_CLOSED) & ~DSA_WQ_CLOSED;
}

uint32_t dsa_wq_occupancy(const struct dsa_wq *wq)
{
	uint64_t e = atomic_load(&wq->enq) & ~DSA_WQ_CLOSED, d = atomic_load(&wq->deq);
	uint64_t n = e > d ? e - d : 0;
	return n > 0xffff ? 0xffff : (uint32_t)n;
}

bool dsa_wq_pending(const struct dsa_wq *wq)
{
	return (atomic_load(&wq->enq) & ~DSA_WQ_CLOSED) != atomic_load(&wq->deq);
}

bool dsa_wq_ready(struct dsa_wq *wq)
{
	struct dsa_slot *ring = atomic_load_explicit(&wq->ring, memory_order_acquire);
	if (!ring)
		return false;
	uint64_t p = atomic_load_explicit(&wq->deq, memory_order_relaxed);
	return tag_in(&ring[p & wq->mask]) == slot_tag(wq, p);
}

/* Engines stopped and the WQ closed: drop what is queued. */
void dsa_wq_drop_all(struct dsa_wq *wq)
{
	struct dsa_slot *ring = atomic_load(&wq->ring);
	if (!ring)
		return;
	uint64_t end = atomic_load(&wq->enq) & ~DSA_WQ_CLOSED;
	for (uint64_t p = atomic_load(&wq->deq); p < end; p++) {
		/* A submitter that claimed p publishes within a few stores. */
		while (tag_in(&ring[p & wq->mask]) != slot_tag(wq, p))
			sched_yield();
	}
	atomic_store(&wq->deq, end);
}

unsigned dsa_wq_fetch(struct dsa_engine *e, struct dsa_wq *wq, struct dsa_hw_desc *out,
			  unsigned max, uint64_t *pos)
{
	struct dsa_slot *ring = atomic_load_explicit(&wq->ring, memory_order_acquire);
	if (!ring)
		return 0;
	uint64_t mask = wq->mask;
	_Atomic uint64_t *claim = &e->claim[wq->idx];
	uint64_t p = atomic_load_explicit(&wq->deq, memory_order_relaxed);
	unsigned n = 0;
	/*
	 * Descriptors are copied out before the dequeue counter moves (the
	 * submitter may reuse a slot after that), and the claim goes out
	 * before it too (release), so a drain that sees the counter past p
	 * also sees this engine on p.
	 */
	if (e->grp->nr_engines == 1) {
		/* The only consumer takes what is there, up to max, in one go:
		 * the loads of consecutive slots overlap. */
		for (; n < max; n++) {
			struct dsa_slot *s = &ring[(p + n) & mask];
			if (tag_in(s) != slot_tag(wq, p + n))
				break;
			memcpy(&out[n], &s->desc, sizeof(*out));
			out[n].rsvd1 = 0;
		}
		if (!n)
			return 0;
		/* A full take means more are probably waiting: have their
		 * lines on the way while these run. */
		if (n == max)
			for (unsigned k = 0; k < max; k++)
				__builtin_prefetch(&ring[(p + n + k) & mask], 0, 3);
		atomic_store_explicit(claim, p, memory_order_relaxed);
		atomic_store_explicit(&wq->deq, p + n, memory_order_release);
		*pos = p;
		return n;
	}
	bool claimed = false;
	for (;;) {
		struct dsa_slot *s = &ring[p & mask];
		if (tag_in(s) != slot_tag(wq, p)) {
			/* Empty, or another engine took p meanwhile. */
			uint64_t q = atomic_load_explicit(&wq->deq, memory_order_relaxed);
			if (q == p) {
				/* A claim left from a lost race would hold
				 * drains up forever. */
				if (claimed)
					atomic_store_explicit(claim, DSA_POS_IDLE,
							      memory_order_release);
				return 0;
			}
			p = q;
			continue;
		}
		memcpy(out, &s->desc, sizeof(*out));
		claimed = true;
		atomic_store_explicit(claim, p, memory_order_relaxed);
		/* A torn copy (the slot reused after someone else took p)
		 * fails here and is thrown away. */
		if (atomic_compare_exchange_weak_explicit(&wq->deq, &p, p + 1, memory_order_acq_rel,
							  memory_order_relaxed))
			break;
	}
	out->rsvd1 = 0;
	*pos = p;
	return 1;
}

/* 0 queued, -EAGAIN over `limit` (at most the ring capacity), -ENOENT closed. */
static int wq_push(struct dsa_wq *wq, const uint64_t q[8], uint64_t limit)
{
	struct dsa_slot *ring = atomic_load_explicit(&wq->ring, memory_order_acquire);
	if (!ring)
		return -ENOENT;
	uint64_t p = atomic_load_explicit(&wq->enq, memory_order_acquire);
	for (;;) {
		if (p & DSA_WQ_CLOSED)
			return -ENOENT;
		/* Acquire/release on the hint too (plain moves on x86): a hint
		 * another submitter stored carries its view of the copies. */
		uint64_t dh = atomic_load_explicit(&wq->deq_hint, memory_order_acquire);
		int64_t occ = (int64_t)(p - dh);
		if (occ < 0) {
			p = atomic_load_explicit(&wq->enq, memory_order_acquire); /* stale p */
			continue;
		}
		if ((uint64_t)occ >= limit) {
			dh = atomic_load_explicit(&wq->deq, memory_order_acquire);
			atomic_store_explicit(&wq->deq_hint, dh, memory_order_release);
			occ = (int64_t)(p - dh);
			if (occ < 0) {
				p = atomic_load_explicit(&wq->enq, memory_order_acquire);
				continue;
			}
			if ((uint64_t)occ >= limit)
				return -EAGAIN;
		}
		/* Below the limit the slot's previous lap has been taken.
		 * seq_cst: ordered before the look at sleepers below. */
		if (atomic_compare_exchange_weak_explicit(&wq->enq, &p, p + 1, memory_order_seq_cst,
							  memory_order_acquire))
			break;
	}
	struct dsa_slot *s = &ring[p & wq->mask];
	uint64_t *dst = (uint64_t *)&s->desc;
	/* Own a later slot's line before writing it, so those stores retire
	 * at once and the next claim (a locked instruction, which waits for
	 * the store buffer) does not wait for a line the engine last read. */
	if (wq->x->prefetchw)
		dsa_prefetchw(&ring[(p + 8) & wq->mask]);
	/* Everything but qword 4, then qword 4 carrying the tag in bytes
	 * 38-39 with release ordering: publication. */
	for (unsigned i = 0; i < 8; i++)
		if (i != 4)
			dst[i] = q[i];
	uint64_t q4 = (q[4] & 0x0000ffffffffffffull) | ((uint64_t)slot_tag(wq, p) << 48);
	atomic_store_explicit((_Atomic uint64_t *)&dst[4], q4, memory_order_release);

	/* An engine going to sleep announces itself in sleepers and then
	 * looks at the counters once more: either it sees our position or we
	 * see it and wake it. */
	struct dsa_group *g = wq->grp;
	if (g && atomic_load_explicit(&g->sleepers, memory_order_seq_cst))
		dsa_group_wake(g, 1);
	return 0;
}

static void portal_swerr(struct dsa *x, struct dsa_wq *wq, const struct dsa_hw_desc *desc,
			 uint8_t error, uint32_t pasid, bool priv)
{
	struct dsa_swerr_info e = {
		.error = error,
		.desc_valid = true,
		.wq_valid = true,
		.wq = wq->idx,
		.opcode = (uint8_t)DSA_DESC_OPCODE(desc),
		.pasid = pasid,
		.priv = priv,
	};
	dsa_swerr(x, &e);
}

int dsa_portal_submit(struct hw_pci_function *d, uint64_t bar2_off, const struct dsa_hw_desc *desc,
		      enum dsa_portal_op op, uint32_t enqcmd_pasid, enum dsa_submit_result *res)
{
	if (!d || !desc || !res)
		return -EINVAL;
	if (!dsa_is_dsa(d))
		return -ENODEV;
	struct dsa *x = dsa_of(d);
	*res = DSA_SUBMIT_RETRY;
	/* MOVDIR64B and ENQCMD(S) write 64 aligned bytes. */
	if ((bar2_off & 63) || bar2_off >= d->bar_size[2])
		return -EINVAL;
	if (op != DSA_MOVDIR64B && op != DSA_ENQCMD && op != DSA_ENQCMDS)
		return -EINVAL;
	if (op == DSA_ENQCMD && enqcmd_pasid > 0xfffff)
		return -EINVAL;
	if (!(hw_pci_cfg_ld(d, PCI_COMMAND) & PCI_COMMAND_MEMORY))
		return 0;

	struct dsa_wq *wq = &x->wqs[bar2_off >> 14];
	bool limited = (bar2_off >> 12) & 1;
	bool shared_op = op != DSA_MOVDIR64B;
	/*
	 * The 64 bytes as the write carries them, read a qword at a time:
	 * callers build descriptors field by field, and 8-byte loads forward
	 * from those stores where wider ones would wait for the store buffer
	 * to drain (a cache miss on the previous slot, typically).
	 */
	uint64_t q[8];
	const volatile uint64_t *in = (const volatile uint64_t *)desc;
	for (unsigned i = 0; i < 8; i++)
		q[i] = in[i];
	/* What the request carries in bytes 0-3: ENQCMD the submitter's
	 * PASID with user privilege, ENQCMDS the descriptor's own. */
	if (op == DSA_ENQCMD)
		q[0] = (q[0] & ~0xffffffffull) | enqcmd_pasid;
	else if (op == DSA_ENQCMDS)
		q[0] &= ~0x7ff00000ull;
	struct dsa_hw_desc hdr;
	hdr.pasid_priv = (uint32_t)q[0];
	hdr.flags_opcode = (uint32_t)(q[0] >> 32);
	uint32_t pasid = DSA_DESC_PASID(&hdr);
	bool priv = shared_op && DSA_DESC_PRIV(&hdr);
	if (!shared_op) {
		/* A dedicated WQ's requests carry its WQCFG PASID. */
		pasid = wq->run.pasid;
		priv = wq->run.priv;
	}

	if (!atomic_load_explicit(&wq->enabled, memory_order_acquire)) {
		portal_swerr(x, wq, &hdr, DSA_SWERR_WQ_DISABLED, pasid, priv);
		return 0;
	}
	const struct dsa_wq_run *r = &wq->run;
	if (r->dedicated == shared_op) {
		portal_swerr(x, wq, &hdr, DSA_SWERR_WQ_MODE, pasid, priv);
		return 0;
	}
	uint64_t limit = r->size;
	if (shared_op && limited && r->thresh < limit)
		limit = r->thresh;
	int rc = wq_push(wq, q, limit);
	if (likely(rc == 0)) {
		*res = DSA_SUBMIT_ACCEPTED;
		if (x->opt.inline_engines && wq->grp)
			dsa_inline_run(x, wq->grp);
		return 0;
	}
	if (rc == -ENOENT)
		portal_swerr(x, wq, &hdr, DSA_SWERR_WQ_DISABLED, pasid, priv);
	else if (!shared_op)
		portal_swerr(x, wq, &hdr, DSA_SWERR_WQ_FULL, pasid, priv);
	/* A full shared WQ just answers Retry (ENQCMD's ZF). */
	return 0;
}
