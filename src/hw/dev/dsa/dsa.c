/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DSA model's identity, options and BAR0 register file (SPEC D-1,
 * HW.md 4.2 - 4.5): capability registers built from the options, the
 * configuration tables (GRPCFG, WQCFG) that are writable only while what
 * they configure is disabled, SWERR and INTCAUSE, and interrupt delivery.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "dsa_int.h"
#include "../../../util/compiler.h"

/* DSA 1.0 in the VERSION layout (major 7:4, minor 3:0). */
#define DSA_VERSION_VALUE 0x10

static const struct hw_pci_function_ops dsa_ops;

/* ---- options ---- */

void dsa_default_options(struct dsa_options *o)
{
	o->wqs = 8;
	o->engines = 4;
	o->groups = 4;
	o->wq_total_size = 128;
	o->max_xfer_shift = 31;
	o->max_batch_shift = 10;
	o->block_on_fault = true;
	o->inline_engines = false;
}

struct uint_opt {
	const char *name;
	unsigned min, max;
	size_t off;
};

static const struct uint_opt uint_opts[] = {
	{ "wqs", 1, DSA_MAX_WQS, offsetof(struct dsa_options, wqs) },
	{ "engines", 1, DSA_MAX_ENGINES, offsetof(struct dsa_options, engines) },
	{ "groups", 1, DSA_MAX_GROUPS, offsetof(struct dsa_options, groups) },
	{ "wq_total_size", 1, DSA_MAX_WQ_TOTAL, offsetof(struct dsa_options, wq_total_size) },
	/* The field is 5 bits; xfer_size is 32 bits, so 31 is the top. */
	{ "max_xfer_shift", 0, 31, offsetof(struct dsa_options, max_xfer_shift) },
	/* A batch holds at least 2 descriptors; the field is 4 bits. */
	{ "max_batch_shift", 1, 15, offsetof(struct dsa_options, max_batch_shift) },
};

int dsa_parse_options(struct json_object *opts, struct dsa_options *o, char *err, size_t errlen)
{
	dsa_default_options(o);
	if (!opts)
		return 0;
	if (!json_object_is_type(opts, json_type_object)) {
		snprintf(err, errlen, "dsa options: expected an object");
		return -EINVAL;
	}
	json_object_object_foreach(opts, key, val)
	{
		bool found = false;
		for (size_t i = 0; i < ARRAY_SIZE(uint_opts); i++) {
			const struct uint_opt *u = &uint_opts[i];
			if (strcmp(key, u->name))
				continue;
			found = true;
			int64_t v = json_object_get_int64(val);
			if (!json_object_is_type(val, json_type_int) || v < u->min || v > u->max) {
				snprintf(err, errlen,
					 "dsa option \"%s\": expected an integer from %u to %u", key,
					 u->min, u->max);
				return -EINVAL;
			}
			*(unsigned *)((char *)o + u->off) = (unsigned)v;
		}
		bool *flag = !strcmp(key, "block_on_fault") ? &o->block_on_fault :
			     !strcmp(key, "inline_engines") ? &o->inline_engines : NULL;
		if (flag) {
			found = true;
			if (!json_object_is_type(val, json_type_boolean)) {
				snprintf(err, errlen, "dsa option \"%s\": expected true or false", key);
				return -EINVAL;
			}
			*flag = json_object_get_boolean(val);
		}
		if (!found) {
			snprintf(err, errlen,
				 "dsa: unknown option \"%s\" (wqs, engines, groups, wq_total_size, "
				 "max_xfer_shift, max_batch_shift, block_on_fault, inline_engines)",
				 key);
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- power-on state ---- */

static uint32_t wqcfg_dword3_default(const struct dsa *x)
{
	/* WQCFG comes up allowing what GENCAP allows, so a WQ works with
	 * only size, mode and PASID programmed. */
	return DSA_WQCFG_MAX_XFER_SHIFT(x->opt.max_xfer_shift) |
	       DSA_WQCFG_MAX_BATCH_SHIFT(x->opt.max_batch_shift);
}

void dsa_wqcfg_power_on(struct dsa *x, struct dsa_wq *wq)
{
	memset(wq->cfg, 0, sizeof(wq->cfg));
	wq->cfg[3] = wqcfg_dword3_default(x);
}

void dsa_regs_power_on(struct dsa *x)
{
	x->gencfg = 0;
	x->genctrl = 0;
	x->cmd = 0;
	x->cmdsts = 0;
	x->state = DSA_STATE_DISABLED;
	memset(x->grpcfg, 0, sizeof(x->grpcfg));
	for (unsigned w = 0; w < x->opt.wqs; w++)
		dsa_wqcfg_power_on(x, &x->wqs[w]);
	pthread_mutex_lock(&x->err_lock);
	x->intcause = 0;
	memset(x->swerr, 0, sizeof(x->swerr));
	pthread_mutex_unlock(&x->err_lock);
}

static void build_caps(struct dsa *x)
{
	const struct dsa_options *o = &x->opt;
	x->gencap = DSA_GENCAP_OVERLAP_COPY | DSA_GENCAP_CMD_CAP | DSA_GENCAP_CONFIG_EN |
		    ((uint64_t)o->max_xfer_shift << 16) | ((uint64_t)o->max_batch_shift << 21);
	if (o->block_on_fault)
		x->gencap |= DSA_GENCAP_BOF;
	/* 32-byte WQCFG entries (wqcfg_size 0), both WQ modes. */
	x->wqcap = o->wq_total_size | ((uint64_t)o->wqs << 16) | DSA_WQCAP_SHARED_MODE |
		   DSA_WQCAP_DEDICATED_MODE;
	if (o->block_on_fault)
		x->wqcap |= DSA_WQCAP_WQ_PRS;
	x->grpcap = o->groups | ((uint64_t)DSA_TOTAL_RDBUFS << 8) | (1ull << 16);
	x->engcap = o->engines;
	memset(x->opcap, 0, sizeof(x->opcap));
	static const uint8_t ops[] = { DSA_OPCODE_NOOP,	   DSA_OPCODE_BATCH,   DSA_OPCODE_DRAIN,
				       DSA_OPCODE_MEMMOVE, DSA_OPCODE_MEMFILL, DSA_OPCODE_COMPARE,
				       DSA_OPCODE_COMPVAL, DSA_OPCODE_CRCGEN,  DSA_OPCODE_COPY_CRC };
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		x->opcap[ops[i] / 64] |= 1ull << (ops[i] % 64);
}

/* ---- SWERR and interrupts ---- */

void dsa_raise(struct dsa *x, unsigned vector, uint32_t cause)
{
	pthread_mutex_lock(&x->err_lock);
	x->intcause |= cause;
	dsa_irq_fn fn = x->irq_fn;
	void *opaque = x->irq_opaque;
	pthread_mutex_unlock(&x->err_lock);
	if (fn)
		fn(x->d, vector, opaque);
	/* The message software programmed for the vector, if any. */
	hw_pci_msi_notify(x->d, vector);
}

void dsa_swerr(struct dsa *x, const struct dsa_swerr_info *e)
{
	pthread_mutex_lock(&x->err_lock);
	if (x->swerr[0] & DSA_SWERR_VALID) {
		/* The first error stays until software acknowledges it. */
		x->swerr[0] |= DSA_SWERR_OVERFLOW;
	} else {
		uint64_t q0 = DSA_SWERR_VALID | ((uint64_t)e->error << 8);
		if (e->desc_valid)
			q0 |= DSA_SWERR_DESC_VALID | ((uint64_t)e->opcode << 32) |
			      ((uint64_t)(e->pasid & 0xfffff) << 40);
		if (e->wq_valid)
			q0 |= DSA_SWERR_WQ_IDX_VALID | ((uint64_t)(e->wq & 0xff) << 16);
		if (e->batch)
			q0 |= DSA_SWERR_BATCH;
		if (e->fault_write)
			q0 |= DSA_SWERR_FAULT_RW;
		if (e->priv)
			q0 |= DSA_SWERR_PRIV;
		x->swerr[0] = q0;
		x->swerr[1] = (e->batch ? (e->batch_idx & 0xffff) : 0) |
			      ((uint64_t)e->invalid_flags << 32);
		x->swerr[2] = e->fault_addr;
		x->swerr[3] = 0;
	}
	bool irq = x->genctrl & 1; /* softerr_int_en */
	pthread_mutex_unlock(&x->err_lock);
	if (irq)
		dsa_raise(x, 0, DSA_INTCAUSE_ERR);
}

void dsa_set_irq_handler(struct hw_pci_function *d, dsa_irq_fn fn, void *opaque)
{
	if (!dsa_is_dsa(d))
		return;
	struct dsa *x = dsa_of(d);
	pthread_mutex_lock(&x->err_lock);
	x->irq_fn = fn;
	x->irq_opaque = opaque;
	pthread_mutex_unlock(&x->err_lock);
}

void dsa_get_stats(struct hw_pci_function *d, struct dsa_stats *s)
{
	memset(s, 0, sizeof(*s));
	if (!dsa_is_dsa(d))
		return;
	struct dsa *x = dsa_of(d);
	s->nr_wqs = x->opt.wqs;
	for (unsigned i = 0; i < x->opt.engines; i++) {
		struct dsa_engine *e = &x->engines[i];
		for (unsigned w = 0; w < x->opt.wqs; w++) {
			struct dsa_counters *c = &e->st[w];
			s->wq[w].descs_completed += atomic_load_explicit(&c->descs, memory_order_relaxed);
			s->wq[w].bytes_moved += atomic_load_explicit(&c->bytes, memory_order_relaxed);
			s->wq[w].page_faults += atomic_load_explicit(&c->faults, memory_order_relaxed);
			s->wq[w].page_requests += atomic_load_explicit(&c->prs, memory_order_relaxed);
		}
	}
}

/* ---- BAR0 ---- */

static bool grpcfg_range(const struct dsa *x, uint64_t off)
{
	return off >= DSA_GRPCFG_OFFSET && off < DSA_GRPCFG_OFFSET + x->opt.groups * DSA_GRPCFG_SIZE;
}

static bool wqcfg_range(const struct dsa *x, uint64_t off)
{
	return off >= DSA_WQCFG_OFFSET && off < DSA_WQCFG_OFFSET + x->opt.wqs * DSA_WQCFG_SIZE;
}

static uint32_t half(uint64_t v, uint64_t off)
{
	return (off & 4) ? (uint32_t)(v >> 32) : (uint32_t)v;
}

/* One dword; lock held. */
static uint32_t reg_read32(struct dsa *x, uint64_t off)
{
	if (grpcfg_range(x, off)) {
		uint64_t r = off - DSA_GRPCFG_OFFSET;
		return half(x->grpcfg[r / DSA_GRPCFG_SIZE][(r % DSA_GRPCFG_SIZE) / 8], off);
	}
	if (wqcfg_range(x, off)) {
		uint64_t r = off - DSA_WQCFG_OFFSET;
		struct dsa_wq *wq = &x->wqs[r / DSA_WQCFG_SIZE];
		unsigned dw = (unsigned)(r % DSA_WQCFG_SIZE) / 4;
		if (dw == 6) {
			uint32_t st = atomic_load(&wq->enabled) ? DSA_WQ_STATE_ENABLED :
								  DSA_WQ_STATE_DISABLED;
			return dsa_wq_occupancy(wq) | (st << 30);
		}
		return wq->cfg[dw];
	}
	if (off >= DSA_REG_OPCAP && off < DSA_REG_OPCAP + 32)
		return half(x->opcap[(off - DSA_REG_OPCAP) / 8], off);
	if (off >= DSA_REG_SWERR && off < DSA_REG_SWERR + 32) {
		pthread_mutex_lock(&x->err_lock);
		uint32_t v = half(x->swerr[(off - DSA_REG_SWERR) / 8], off);
		pthread_mutex_unlock(&x->err_lock);
		return v;
	}
	switch (off & ~7ull) {
	case DSA_REG_VERSION:
		return (off & 4) ? 0 : DSA_VERSION_VALUE;
	case DSA_REG_GENCAP:
		return half(x->gencap, off);
	case DSA_REG_WQCAP:
		return half(x->wqcap, off);
	case DSA_REG_GRPCAP:
		return half(x->grpcap, off);
	case DSA_REG_ENGCAP:
		return half(x->engcap, off);
	case DSA_REG_TABLE_OFFSET:
		return half((DSA_GRPCFG_OFFSET / DSA_TABLE_MULT) |
				    ((uint64_t)(DSA_WQCFG_OFFSET / DSA_TABLE_MULT) << 16),
			    off);
	case DSA_REG_GENCFG:
		return (off & 4) ? 0 : x->gencfg;
	case DSA_REG_GENCTRL:
		return (off & 4) ? 0 : x->genctrl;
	case DSA_REG_GENSTS:
		return (off & 4) ? 0 : (uint32_t)x->state;
	case DSA_REG_INTCAUSE: {
		if (off & 4)
			return 0;
		pthread_mutex_lock(&x->err_lock);
		uint32_t v = x->intcause;
		pthread_mutex_unlock(&x->err_lock);
		return v;
	}
	case DSA_REG_CMD:
		return (off & 4) ? 0 : x->cmd;
	case DSA_REG_CMDSTS:
		return (off & 4) ? 0 : x->cmdsts;
	case DSA_REG_CMDCAP:
		/* Commands 1 .. 12 (bit n = command n). */
		return (off & 4) ? 0 : 0x1ffeu;
	default:
		return 0; /* reserved: reads 0 */
	}
}

static const uint32_t wqcfg_wmask[8] = {
	0xffff,     /* wq_size */
	0xffff,     /* wq_thresh */
	0x3fffffff, /* mode, bof, ats/prs disable, priority, pasid, pasid_en, priv */
	0x1ff,      /* max_xfer_shift, max_batch_shift */
	0x1ffff,    /* occupancy_inth, table_sel */
	0x1ffff,    /* occupancy_limit, int_en */
	0,          /* occupancy, state: read-only */
	0,
};

/* GRPCFG flags: tc_a, tc_b, use_rdbuf_limit, rdbufs_reserved,
 * rdbufs_allowed, desc/batch progress limits. */
#define GRPCFG_FLAGS_WMASK 0x330ff0ffbfull

static uint64_t grp_wmask(const struct dsa *x, unsigned q)
{
	if (q < 4) {
		/* WQ bitmap: only WQs that exist. */
		unsigned lo = q * 64;
		if (x->opt.wqs <= lo)
			return 0;
		unsigned n = x->opt.wqs - lo;
		return n >= 64 ? ~0ull : (1ull << n) - 1;
	}
	if (q == 4)
		return x->opt.engines >= 64 ? ~0ull : (1ull << x->opt.engines) - 1;
	if (q == 5)
		return GRPCFG_FLAGS_WMASK;
	return 0;
}

/* One dword; lock held. Writes the hardware would refuse are ignored. */
static void reg_write32(struct dsa *x, uint64_t off, uint32_t v)
{
	if (grpcfg_range(x, off)) {
		/* The group configuration is fixed while the device is
		 * enabled (engines and WQs are bound to it). */
		if (x->state != DSA_STATE_DISABLED)
			return;
		uint64_t r = off - DSA_GRPCFG_OFFSET;
		unsigned q = (unsigned)(r % DSA_GRPCFG_SIZE) / 8;
		uint64_t *p = &x->grpcfg[r / DSA_GRPCFG_SIZE][q];
		uint64_t m = grp_wmask(x, q), nv = (off & 4) ? (uint64_t)v << 32 : v;
		uint64_t hm = (off & 4) ? 0xffffffff00000000ull : 0xffffffffull;
		m &= hm;
		*p = (*p & ~m) | (nv & m);
		return;
	}
	if (wqcfg_range(x, off)) {
		uint64_t r = off - DSA_WQCFG_OFFSET;
		struct dsa_wq *wq = &x->wqs[r / DSA_WQCFG_SIZE];
		unsigned dw = (unsigned)(r % DSA_WQCFG_SIZE) / 4;
		/* HW.md 4.3: WQCFG is writable only while the WQ is disabled. */
		if (atomic_load(&wq->enabled))
			return;
		wq->cfg[dw] = (wq->cfg[dw] & ~wqcfg_wmask[dw]) | (v & wqcfg_wmask[dw]);
		return;
	}
	if (off >= DSA_REG_SWERR && off < DSA_REG_SWERR + 32) {
		if (off == DSA_REG_SWERR) {
			/* valid and overflow are write-1-to-clear; the rest is
			 * status the device owns. */
			pthread_mutex_lock(&x->err_lock);
			x->swerr[0] &= ~(v & (DSA_SWERR_VALID | DSA_SWERR_OVERFLOW));
			pthread_mutex_unlock(&x->err_lock);
		}
		return;
	}
	switch (off) {
	case DSA_REG_GENCFG:
		if (x->state == DSA_STATE_DISABLED)
			x->gencfg = v & (0xffu | (1u << 12)); /* rdbuf_limit, user_int_en */
		return;
	case DSA_REG_GENCTRL:
		x->genctrl = v & 0x3u; /* softerr_int_en, halt_int_en */
		return;
	case DSA_REG_INTCAUSE:
		pthread_mutex_lock(&x->err_lock);
		x->intcause &= ~v;
		pthread_mutex_unlock(&x->err_lock);
		return;
	default:
		return; /* read-only or reserved */
	}
}

static bool bad_access(unsigned bar, uint64_t off, unsigned size)
{
	return bar != 0 || (size != 4 && size != 8) || (off & (size - 1)) || off >= DSA_BAR0_SIZE ||
	       size > DSA_BAR0_SIZE - off;
}

static int bar_read(struct hw_pci_function *d, unsigned bar, uint64_t off, unsigned size,
		    uint64_t *val)
{
	struct dsa *x = dsa_of(d);
	/* BAR2 is write-only portals: reads are not modelled. */
	if (bad_access(bar, off, size))
		return -EINVAL;
	pthread_mutex_lock(&x->lock);
	uint64_t v = reg_read32(x, off);
	if (size == 8)
		v |= (uint64_t)reg_read32(x, off + 4) << 32;
	pthread_mutex_unlock(&x->lock);
	*val = v;
	return 0;
}

bool dsa_on_engine_thread(const struct dsa *x)
{
	pthread_t self = pthread_self();
	for (unsigned i = 0; i < x->opt.engines; i++)
		if (atomic_load_explicit(&x->engines[i].live, memory_order_acquire) &&
		    pthread_equal(x->engines[i].self, self))
			return true;
	return false;
}

static int bar_write(struct hw_pci_function *d, unsigned bar, uint64_t off, unsigned size,
		     uint64_t val)
{
	struct dsa *x = dsa_of(d);
	if (bad_access(bar, off, size))
		return -EINVAL;
	if (!(hw_pci_cfg_ld(d, PCI_COMMAND) & PCI_COMMAND_MEMORY))
		return 0; /* memory decoding off: the write goes nowhere */
	if (off == DSA_REG_CMD) {
		/* A 64-bit write covers CMD and the reserved dword after it. */
		if (dsa_on_engine_thread(x)) {
			/* An interrupt handler issuing a command could wait for
			 * its own engine (or for a command waiting for it):
			 * refuse it as a hardware error, without queueing. */
			pthread_mutex_lock(&x->lock);
			x->cmd = (uint32_t)val;
			x->cmdsts = DSA_CMDSTS_HW_ERR;
			pthread_mutex_unlock(&x->lock);
			return 0;
		}
		pthread_mutex_lock(&x->cmd_lock);
		bool irq = dsa_cmd_run(x, (uint32_t)val);
		pthread_mutex_unlock(&x->cmd_lock);
		if (irq)
			dsa_raise(x, 0, DSA_INTCAUSE_CMD);
		return 0;
	}
	pthread_mutex_lock(&x->lock);
	reg_write32(x, off, (uint32_t)val);
	if (size == 8)
		reg_write32(x, off + 4, (uint32_t)(val >> 32));
	pthread_mutex_unlock(&x->lock);
	return 0;
}

/* The CPU's 64-byte stores reach the portals in BAR2. */
static int bar_write64b(struct hw_pci_function *d, unsigned bar, uint64_t off, const void *data,
			enum hw_store64b op, uint32_t pasid, bool *accepted)
{
	if (bar != 2)
		return -EINVAL;
	enum dsa_portal_op pop;
	switch (op) {
	case HW_MOVDIR64B: pop = DSA_MOVDIR64B; break;
	case HW_ENQCMD: pop = DSA_ENQCMD; break;
	case HW_ENQCMDS: pop = DSA_ENQCMDS; break;
	default: return -EINVAL;
	}
	enum dsa_submit_result res;
	int rc = dsa_portal_submit(d, off, data, pop, pasid, &res);
	*accepted = !rc && res == DSA_SUBMIT_ACCEPTED;
	return rc;
}

/* ---- life cycle ---- */

static void reset(struct hw_pci_function *d)
{
	struct dsa *x = dsa_of(d);
	/* Not from an interrupt handler: the engine cannot join itself. */
	if (dsa_on_engine_thread(x))
		return;
	pthread_mutex_lock(&x->cmd_lock);
	dsa_reset_all(x);
	pthread_mutex_unlock(&x->cmd_lock);
}

static void destroy(struct hw_pci_function *d)
{
	struct dsa *x = dsa_of(d);
	if (!x)
		return;
	pthread_mutex_lock(&x->cmd_lock);
	dsa_reset_all(x);
	pthread_mutex_unlock(&x->cmd_lock);
	for (unsigned i = 0; i < x->opt.engines; i++) {
		struct dsa_engine *e = &x->engines[i];
		pci_dma_ctx_free(e->dma);
		pthread_cond_destroy(&e->prg_cond);
		pthread_mutex_destroy(&e->prg_lock);
	}
	for (unsigned w = 0; w < x->opt.wqs; w++)
		dsa_wq_free(&x->wqs[w]);
	free(x->engines);
	free(x->groups);
	free(x->wqs);
	pthread_mutex_destroy(&x->err_lock);
	pthread_mutex_destroy(&x->lock);
	pthread_mutex_destroy(&x->inline_lock);
	pthread_mutex_destroy(&x->cmd_lock);
	free(x);
	d->model = NULL;
}

static const struct hw_pci_function_ops dsa_ops = {
	.bar_read = bar_read,
	.bar_write = bar_write,
	.bar_write64b = bar_write64b,
	.reset = reset,
	.prg_response = dsa_prg_response,
	.destroy = destroy,
};

bool dsa_is_dsa(const struct hw_pci_function *d)
{
	return d && d->ops == &dsa_ops && d->model;
}

static void *zalloc_aligned(size_t n)
{
	size_t sz = ALIGN_UP(n, (size_t)DSA_CACHELINE);
	void *p = aligned_alloc(DSA_CACHELINE, sz);
	if (p)
		memset(p, 0, sz);
	return p;
}

int dsa_init(struct hw_pci_function *d, const struct dsa_options *o)
{
	struct dsa *x = zalloc_aligned(sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->d = d;
	x->opt = *o;
	x->ring_cap = 2;
	while (x->ring_cap < o->wq_total_size)
		x->ring_cap <<= 1;
	x->wqs = zalloc_aligned(o->wqs * sizeof(*x->wqs));
	x->groups = zalloc_aligned(o->groups * sizeof(*x->groups));
	x->engines = zalloc_aligned(o->engines * sizeof(*x->engines));
	if (!x->wqs || !x->groups || !x->engines)
		goto nomem;
	pthread_mutex_init(&x->cmd_lock, NULL);
	pthread_mutex_init(&x->lock, NULL);
	pthread_mutex_init(&x->inline_lock, NULL);
	pthread_mutex_init(&x->err_lock, NULL);
	crc32c_init(&x->crc);
#if defined(__x86_64__)
	unsigned a, b, c, dd;
	if (__get_cpuid(0x80000001, &a, &b, &c, &dd))
		x->prefetchw = c & (1u << 8); /* PREFETCHW */
#endif

	for (unsigned w = 0; w < o->wqs; w++) {
		struct dsa_wq *wq = &x->wqs[w];
		wq->idx = w;
		wq->x = x;
		atomic_init(&wq->enq, DSA_WQ_CLOSED);
	}
	for (unsigned g = 0; g < o->groups; g++)
		x->groups[g].idx = g;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	unsigned made = 0;
	int rc = 0;
	for (; made < o->engines; made++) {
		struct dsa_engine *e = &x->engines[made];
		e->x = x;
		e->idx = made;
		e->prg_wait = -1;
		for (unsigned w = 0; w < DSA_MAX_WQS; w++)
			atomic_init(&e->claim[w], DSA_POS_IDLE);
		rc = pci_dma_ctx_new(d->m, &e->dma);
		if (rc)
			break;
		pthread_mutex_init(&e->prg_lock, NULL);
		pthread_cond_init(&e->prg_cond, &ca);
	}
	pthread_condattr_destroy(&ca);
	if (rc) {
		for (unsigned i = 0; i < made; i++) {
			pci_dma_ctx_free(x->engines[i].dma);
			pthread_cond_destroy(&x->engines[i].prg_cond);
			pthread_mutex_destroy(&x->engines[i].prg_lock);
		}
		pthread_mutex_destroy(&x->err_lock);
		pthread_mutex_destroy(&x->lock);
	pthread_mutex_destroy(&x->inline_lock);
		pthread_mutex_destroy(&x->cmd_lock);
		free(x->engines);
		free(x->groups);
		free(x->wqs);
		free(x);
		return rc;
	}
	build_caps(x);
	dsa_regs_power_on(x);

	hw_pci_cfg_set16(d, PCI_VENDOR_ID, DSA_VENDOR_ID);
	hw_pci_cfg_set16(d, PCI_DEVICE_ID, DSA_DEVICE_ID);
	hw_pci_cfg_set16(d, PCI_CLASS_DEVICE, 0x0880); /* system peripheral, other */
	hw_pci_set_bar(d, 0, DSA_BAR0_SIZE);
	hw_pci_set_bar(d, 2, (uint64_t)o->wqs * 4 * DSA_PORTAL_SIZE);
	/* As DSA: MSI-X only, one vector more than WQs. */
	hw_pci_add_msix_cap(d, o->wqs + 1, 0, DSA_MSIX_TABLE_OFFSET, DSA_MSIX_PBA_OFFSET);
	snprintf(d->model_name, sizeof(d->model_name), "dsa");
	d->model = x;
	d->ops = &dsa_ops;
	return 0;
nomem:
	free(x->engines);
	free(x->groups);
	free(x->wqs);
	free(x);
	return -ENOMEM;
}
