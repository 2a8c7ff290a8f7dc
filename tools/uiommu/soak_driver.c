/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The soak's driver thread: what a VMM does to its tenants' address spaces
 * while their devices run - map and unmap pages, unmap whole ranges,
 * detach and attach, replace one HWPT with another, allocate and destroy
 * HWPTs, and try to destroy what is in use (which must be -EBUSY). Every
 * choice comes from the seed and the driver's own record of what it did,
 * never from timing, so a seed replays the same sequence of operations.
 *
 * Around each change it tells the oracle: CHANGING before the ioctl, the
 * new state after it returned (soak_int.h).
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "soak_int.h"

enum op { OP_SLOT, OP_RANGE, OP_ATTACH, OP_REPLACE, OP_HWPT, OP_DESTROY_BUSY, NR_OPS };

static void hash_op(struct soak *s, unsigned tenant, unsigned op, unsigned arg)
{
	uint64_t v = (uint64_t)tenant << 32 | op << 16 | arg;
	for (int i = 0; i < 8; i++) {
		s->r->op_hash ^= (v >> (i * 8)) & 0xff;
		s->r->op_hash *= 0x100000001b3ull;
	}
}

static void control_failed(struct soak *s, struct soak_tenant *t, const char *what, int rc)
{
	soak_violation(s, "driver: tenant %u: %s: %s", t->idx, what, strerror(-rc));
}

static void unmap_begin(struct soak *s)
{
	atomic_fetch_add(&s->unmaps_in_flight, 1);
}

static void unmap_end(struct soak *s)
{
	atomic_fetch_sub(&s->unmaps_in_flight, 1);
}

/* Map an unmapped slot or unmap a mapped one. With the injected lie the
 * oracle hears of an unmap that never happens. */
static void op_slot(struct soak *s, struct soak_tenant *t, unsigned k)
{
	/* Most pages stay mapped, so that most DMAs have somewhere to land:
	 * one unmap chosen in two maps a page back instead, if one is out. */
	for (unsigned i = 0; t->mapped[k] && (k & 1) && i < SOAK_SLOTS; i++)
		if (!t->mapped[(k + i) % SOAK_SLOTS])
			k = (k + i) % SOAK_SLOTS;
	uint64_t iova = SOAK_IOVA + k * SOAK_PG;
	bool lie = s->o->inject == SOAK_INJECT_LIE_UNMAPPED;
	soak_state_set(&t->slot[k], SOAK_CHANGING);
	if (!t->mapped[k]) {
		int rc = lie ? 0 : soak_ioas_map(t, iova, t->mem + k * SOAK_PG);
		if (rc)
			control_failed(s, t, "IOAS_MAP", rc);
		t->mapped[k] = !rc;
	} else {
		unmap_begin(s);
		int rc = lie ? 0 : soak_ioas_unmap(t, iova, SOAK_PG);
		unmap_end(s);
		if (rc)
			control_failed(s, t, "IOAS_UNMAP", rc);
		t->mapped[k] = rc != 0;
	}
	soak_state_set(&t->slot[k], t->mapped[k] ? SOAK_ON : SOAK_OFF);
}

/* Unmap every slot in one call, or map back the ones that are not. */
static void op_range(struct soak *s, struct soak_tenant *t)
{
	unsigned mapped = 0;
	for (unsigned k = 0; k < SOAK_SLOTS; k++)
		mapped += t->mapped[k];
	if (mapped < SOAK_SLOTS / 2 || s->o->inject == SOAK_INJECT_LIE_UNMAPPED) {
		for (unsigned k = 0; k < SOAK_SLOTS; k++)
			if (!t->mapped[k])
				op_slot(s, t, k);
		return;
	}
	for (unsigned k = 0; k < SOAK_SLOTS; k++)
		soak_state_set(&t->slot[k], SOAK_CHANGING);
	unmap_begin(s);
	int rc = soak_ioas_unmap(t, SOAK_IOVA, SOAK_SLOTS * SOAK_PG);
	unmap_end(s);
	if (rc)
		control_failed(s, t, "IOAS_UNMAP of the range", rc);
	for (unsigned k = 0; k < SOAK_SLOTS; k++) {
		t->mapped[k] = t->mapped[k] && rc;
		soak_state_set(&t->slot[k], t->mapped[k] ? SOAK_ON : SOAK_OFF);
	}
}

/* Replace the attached HWPT with the other one of the same IOAS. */
static void op_replace(struct soak *s, struct soak_tenant *t)
{
	if (!t->attached || !t->spare)
		return;
	soak_state_set(&t->attach, SOAK_CHANGING);
	uint32_t pt = t->pt == t->spare ? t->ioas : t->spare;
	unmap_begin(s);
	int rc = soak_attach(t, &pt);
	unmap_end(s);
	if (rc)
		control_failed(s, t, "ATTACH (replace)", rc);
	else
		t->pt = pt;
	soak_state_set(&t->attach, SOAK_ON);
}

/* Detach, or attach to the IOAS or the spare HWPT. An idxd mdev is never
 * left detached: its completion records would have nowhere to go. */
static void op_attach(struct soak *s, struct soak_tenant *t, unsigned arg)
{
	if (t->kind == SOAK_ADI)
		return;
	if (t->attached && (arg & 6)) {
		op_replace(s, t); /* detach one time in four */
		return;
	}
	soak_state_set(&t->attach, SOAK_CHANGING);
	if (t->attached) {
		unmap_begin(s);
		int rc = soak_detach(t);
		unmap_end(s);
		if (rc)
			control_failed(s, t, "DETACH", rc);
		t->attached = rc != 0;
	} else {
		t->pt = t->spare && (arg & 1) ? t->spare : t->ioas;
		int rc = soak_attach(t, &t->pt);
		if (rc)
			control_failed(s, t, "ATTACH", rc);
		t->attached = !rc;
	}
	soak_state_set(&t->attach, t->attached ? SOAK_ON : SOAK_OFF);
}

/* Allocate a spare HWPT, or destroy it: -EBUSY while it is attached. */
static void op_hwpt(struct soak *s, struct soak_tenant *t)
{
	if (!t->spare_ok)
		return;
	if (!t->spare) {
		int rc = soak_hwpt_alloc(t, &t->spare);
		if (rc)
			control_failed(s, t, "HWPT_ALLOC", rc);
		return;
	}
	bool busy = t->attached && t->pt == t->spare;
	int rc = soak_destroy(t->ifd, t->spare);
	if (busy ? rc != -EBUSY : rc != 0)
		control_failed(s, t, busy ? "DESTROY of an attached HWPT" : "DESTROY of a HWPT",
			       rc ? rc : -EEXIST);
	if (!rc)
		t->spare = 0;
}

/* Destroy the IOAS under an attached device: -EBUSY, nothing changed. */
static void op_destroy_busy(struct soak *s, struct soak_tenant *t)
{
	if (!t->attached)
		return;
	int rc = soak_destroy(t->ifd, t->ioas);
	if (rc != -EBUSY)
		control_failed(s, t, "DESTROY of an IOAS in use", rc ? rc : -EEXIST);
}

static void one_op(struct soak *s)
{
	struct soak_tenant *t = &s->t[soak_rand(&s->rng) % s->n];
	unsigned r = (unsigned)(soak_rand(&s->rng) % 100), arg = (unsigned)soak_rand(&s->rng);
	enum op op = r < 55 ? OP_SLOT : r < 62 ? OP_RANGE : r < 74 ? OP_ATTACH :
		     r < 84 ? OP_REPLACE : r < 95 ? OP_HWPT : OP_DESTROY_BUSY;
	hash_op(s, t->idx, op, op == OP_SLOT ? arg % SOAK_SLOTS : arg & 7);
	switch (op) {
	case OP_SLOT: op_slot(s, t, arg % SOAK_SLOTS); break;
	case OP_RANGE: op_range(s, t); break;
	case OP_ATTACH: op_attach(s, t, arg); break;
	case OP_REPLACE: op_replace(s, t); break;
	case OP_HWPT: op_hwpt(s, t); break;
	default: op_destroy_busy(s, t); break;
	}
	s->r->ops++;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void progress(struct soak *s, double elapsed)
{
	uint64_t dmas = 0, v = 0;
	for (unsigned i = 0; i < s->n; i++) {
		dmas += __atomic_load_n(&s->t[i].dmas, __ATOMIC_RELAXED);
		v += __atomic_load_n(&s->t[i].violations, __ATOMIC_RELAXED);
	}
	fprintf(s->o->progress, "%ssoak: %4.0fs  %llu DMAs checked (%.0f/s)  %llu ops  "
				"%llu violations%s",
		s->o->progress_tty ? "\r" : "", elapsed, (unsigned long long)dmas,
		elapsed > 0 ? dmas / elapsed : 0.0, (unsigned long long)s->r->ops,
		(unsigned long long)v, s->o->progress_tty ? "" : "\n");
	fflush(s->o->progress);
}

/* Runs ops for `seconds` (or max_ops), a pause between them so the
 * tenants see the states between changes too. */
void soak_driver_run(struct soak *s, double seconds)
{
	double t0 = now(), next = t0 + 1;
	struct timespec pause = { 0, 20000 };
	while (!s->o->max_ops || s->r->ops < s->o->max_ops) {
		double t = now();
		if (t - t0 >= seconds)
			break;
		if (s->o->progress && t >= next) {
			progress(s, t - t0);
			next += 1;
		}
		one_op(s);
		nanosleep(&pause, NULL);
	}
	if (s->o->progress && s->o->progress_tty)
		fputc('\n', s->o->progress);
}
