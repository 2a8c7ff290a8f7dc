/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A remapping unit: what it advertises (CAP/ECAP), its caches and its
 * register reset state (VT-d 10.4).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vtd.h"
#include "../machine.h"
#include "../../util/compiler.h"

void vtd_config_default(struct vtd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->nfr = 8;
	c->pasid_bits = 20;
	c->sagaw = BIT(1) | BIT(2) | BIT(3);
	c->mgaw = 57;
	c->iotlb_entries = 32768;
	c->ctx_cache_entries = 256;
	c->pasid_cache_entries = 2048;
	c->nested = true;
	c->prs = true;
	c->dt = true;
	c->pt = true;
	c->ss_2m = c->ss_1g = true;
	c->fs_1g = c->fs_5lvl = true;
	c->slads = true;
}

static bool is_pow2(unsigned v)
{
	return v && !(v & (v - 1));
}

int vtd_config_check(const struct vtd_config *c)
{
	if (c->nfr < 1 || c->nfr > 256)
		return -EINVAL;
	if (c->pasid_bits < 1 || c->pasid_bits > 20)
		return -EINVAL;
	if (!(c->sagaw & (BIT(1) | BIT(2) | BIT(3))) || (c->sagaw & ~(BIT(1) | BIT(2) | BIT(3))))
		return -EINVAL;
	if (c->mgaw < 39 || c->mgaw > 57)
		return -EINVAL;
	if (!is_pow2(c->iotlb_entries) || c->iotlb_entries < 64 || c->iotlb_entries > (1u << 22))
		return -EINVAL;
	if (!is_pow2(c->ctx_cache_entries) || c->ctx_cache_entries < 16 ||
	    c->ctx_cache_entries > 65536)
		return -EINVAL;
	if (!is_pow2(c->pasid_cache_entries) || c->pasid_cache_entries < 16 ||
	    c->pasid_cache_entries > (1u << 20))
		return -EINVAL;
	return 0;
}

/* The host address width: output addresses are host virtual addresses,
 * which on x86-64 Linux fit in 48 bits. */
#define VTD_MODEL_HAW 48

static void compute_caps(struct vtd_unit *u)
{
	const struct vtd_config *c = &u->cfg;
	uint64_t cap = 0, ecap = 0;

	cap |= 6;                                   /* ND: 16-bit domain IDs */
	cap |= (uint64_t)c->sagaw << 8;
	cap |= (uint64_t)(c->mgaw - 1) << 16;
	cap |= VTD_CAP_ZLR;
	cap |= (uint64_t)(VTD_REG_FRCD0 / 16) << 24; /* FRO */
	cap |= (uint64_t)((c->ss_2m ? 1 : 0) | (c->ss_1g ? 2 : 0)) << 34;
	cap |= VTD_CAP_PSI;
	cap |= (uint64_t)(c->nfr - 1) << 40;
	cap |= (uint64_t)18 << 48;                  /* MAMV: up to 1 GiB per PSI */
	cap |= VTD_CAP_DWD | VTD_CAP_DRD;
	if (c->caching_mode)
		cap |= VTD_CAP_CM;
	if (c->fs_1g)
		cap |= VTD_CAP_FL1GP;
	if (c->fs_5lvl)
		cap |= VTD_CAP_FL5LP;

	/* Page walks read memory coherently; no interrupt remapping (H-11). */
	ecap |= VTD_ECAP_C | VTD_ECAP_QI | VTD_ECAP_SC;
	ecap |= (uint64_t)(VTD_REG_IVA / 16) << 8;   /* IRO */
	if (c->dt)
		ecap |= VTD_ECAP_DT;
	if (c->pt)
		ecap |= VTD_ECAP_PT;
	if (c->nested)
		ecap |= VTD_ECAP_NEST;
	if (c->prs)
		ecap |= VTD_ECAP_PRS | VTD_ECAP_PDS;
	ecap |= VTD_ECAP_ERS | VTD_ECAP_SRS;
	ecap |= (uint64_t)(c->pasid_bits - 1) << 35;
	ecap |= VTD_ECAP_PASID | VTD_ECAP_SMTS | VTD_ECAP_SLTS | VTD_ECAP_FLTS;
	ecap |= VTD_ECAP_SMPWC | VTD_ECAP_RPS;
	if (c->slads)
		ecap |= VTD_ECAP_SLADS;

	u->cap = cap;
	u->ecap = ecap;
}

int vtd_unit_new(struct hw_machine *m, const struct vtd_config *cfg, const char *name,
		 struct vtd_unit **out)
{
	int rc = vtd_config_check(cfg);
	if (rc)
		return rc;

	struct vtd_unit *u = aligned_alloc(64, ALIGN_UP(sizeof(*u), 64));
	if (!u)
		return -ENOMEM;
	memset(u, 0, sizeof(*u));
	u->m = m;
	u->cfg = *cfg;
	snprintf(u->name, sizeof(u->name), "%s", name);
	u->haw = VTD_MODEL_HAW;
	u->checker = cfg->checker;
	compute_caps(u);
	vtd_walk_init(u);

	atomic_init(&u->inv_gen, 1);
	atomic_init(&u->rtaddr, 0);
	atomic_init(&u->te, false);
	spin_init(&u->cache_lock);
	rc = -ENOMEM;
	u->cc = calloc(cfg->ctx_cache_entries, sizeof(*u->cc));
	u->pc = calloc(cfg->pasid_cache_entries, sizeof(*u->pc));
	u->pc_did_count = calloc(65536, sizeof(*u->pc_did_count));
	u->frcd = calloc(2 * cfg->nfr, sizeof(uint64_t));
	if (!u->cc || !u->pc || !u->pc_did_count || !u->frcd)
		goto fail;
	u->cc_mask = cfg->ctx_cache_entries - 1;
	u->pc_mask = cfg->pasid_cache_entries - 1;
	rc = vtd_iotlb_init(&u->iotlb, cfg->iotlb_entries);
	if (rc)
		goto fail;
	spin_init(&u->reg_lock);
	vtd_irq_init(u);
	rc = vtd_qi_init(u);
	if (rc) {
		vtd_irq_fini(u);
		vtd_iotlb_destroy(&u->iotlb);
		goto fail;
	}

	/* Interrupt masks come out of reset set (10.4.10, 10.4.29, 10.4.35). */
	u->fectl = VTD_XECTL_IM;
	u->iectl = VTD_XECTL_IM;
	u->pectl = VTD_XECTL_IM;
	*out = u;
	return 0;

fail:
	free(u->cc);
	free(u->pc);
	free(u->pc_did_count);
	free(u->frcd);
	free(u);
	return rc;
}

void vtd_unit_free(struct vtd_unit *u)
{
	if (!u)
		return;
	vtd_qi_fini(u);
	vtd_irq_fini(u);
	vtd_iotlb_destroy(&u->iotlb);
	free(u->cc);
	free(u->pc);
	free(u->pc_did_count);
	free(u->frcd);
	free(u);
}

void vtd_set_irq_handler(struct vtd_unit *u, vtd_irq_fn fn, void *opaque)
{
	spin_lock(&u->reg_lock);
	u->irq_fn = fn;
	u->irq_opaque = opaque;
	spin_unlock(&u->reg_lock);
	/* Like synchronize_irq(): the old handler's deliveries are over. */
	vtd_irq_drain(u);
}

void vtd_set_checker(struct vtd_unit *u, vtd_checker_fn fn, void *opaque)
{
	spin_lock(&u->reg_lock);
	u->checker_fn = fn;
	u->checker_opaque = opaque;
	/* A callback turns the check on; NULL leaves what the config said. */
	if (fn)
		u->checker = true;
	else
		u->checker = u->cfg.checker;
	spin_unlock(&u->reg_lock);
}

void vtd_set_fill_hook(struct vtd_unit *u, void (*fn)(struct vtd_unit *u, int kind, void *opaque),
		       void *opaque)
{
	u->fill_hook_opaque = opaque;
	u->fill_hook = fn;
}

void vtd_utlb_init(struct vtd_utlb *utlb)
{
	memset(utlb->e, 0, sizeof(utlb->e));
	memset(utlb->big, 0, sizeof(utlb->big));
	/* Empty big entries must never match: size 4 KiB and key 0 with a
	 * vpn no request has. */
	for (unsigned i = 0; i < VTD_UTLB_BIG_ENTRIES; i++) {
		utlb->big[i].size_shift = VTD_PAGE_SHIFT;
		utlb->big[i].vpn = ~0ull;
	}
	for (unsigned i = 0; i < VTD_MAX_UNITS; i++) {
		atomic_init(&utlb->utlb_hits[i], 0);
		atomic_init(&utlb->iotlb_hits[i], 0);
		atomic_init(&utlb->walks[i], 0);
	}
}

/* A micro-TLB goes away: keep its hit counts in the units' totals. */
void vtd_utlb_retire(struct vtd_utlb *utlb, struct vtd_unit *const *units, unsigned n)
{
	for (unsigned i = 0; i < n && i < VTD_MAX_UNITS; i++) {
		atomic_fetch_add(&units[i]->st.utlb_hits, atomic_load(&utlb->utlb_hits[i]));
		atomic_fetch_add(&units[i]->st.iotlb_hits, atomic_load(&utlb->iotlb_hits[i]));
		atomic_fetch_add(&units[i]->st.fast_walks, atomic_load(&utlb->walks[i]));
		atomic_store(&utlb->utlb_hits[i], 0);
		atomic_store(&utlb->iotlb_hits[i], 0);
		atomic_store(&utlb->walks[i], 0);
	}
}

#define LD(x) atomic_load_explicit(&u->st.x, memory_order_relaxed)

void vtd_stats_get(struct vtd_unit *u, struct vtd_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->translations = LD(translations);
	s->iotlb_misses = LD(iotlb_misses);
	s->walks = LD(walks);
	s->ctx_hits = LD(ctx_hits);
	s->ctx_misses = LD(ctx_misses);
	s->pasid_hits = LD(pasid_hits);
	s->pasid_misses = LD(pasid_misses);
	s->faults = LD(faults);
	s->faults_suppressed = LD(faults_suppressed);
	s->faults_overflow = LD(faults_overflow);
	s->inv_desc = LD(inv_desc);
	s->inv_waits = LD(inv_waits);
	s->page_requests = LD(page_requests);
	s->prq_overflow = LD(prq_overflow);
	s->stale_hits = LD(stale_hits);
	s->ats_translations = LD(ats_translations);
	s->utlb_hits = LD(utlb_hits);
	s->iotlb_hits = LD(iotlb_hits);
	uint64_t fast = LD(fast_walks);
	/* Live micro-TLBs: their counters are per engine thread. */
	hw_machine_collect_hits(u->m, u->index, &s->utlb_hits, &s->iotlb_hits, &fast);
	s->walks += fast;
	s->iotlb_misses += fast;
	s->translations += s->utlb_hits + s->iotlb_hits + fast;
	/* Hits of the full path were counted as translations already. */
	s->iotlb_hits += LD(slow_iotlb_hits);
}

const char *vtd_unit_name(const struct vtd_unit *u)
{
	return u ? u->name : "";
}
