/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IOTLB (VT-d 6.2.3): a 2-way set-associative cache of translations,
 * one 64-byte line per set.
 *
 * Second-stage-only translations are tagged by domain ID alone (the same
 * second-stage table serves every PASID of the domain); first-stage and
 * nested translations by domain ID and PASID (6.2.3.1). Each entry also
 * carries a generation of its (domain, class): the selectivities that
 * drop a whole class of a domain at once - domain-selective IOTLB
 * invalidation, and the first-stage part of a page-selective one
 * (6.5.2.3) - bump that generation instead of walking the array.
 *
 * The generation is also the class's fill guard. A walker samples it
 * before it reads the tables and inserts only if it is unchanged (under
 * cache_lock). Every invalidation that finds nothing of the class to
 * drop still bumps it, so a walk that read an entry before the
 * invalidation cannot insert it after (the stale-fill race of issue #7);
 * one that does drop entries bumps the unit's inv_gen instead, which the
 * walker checks as well.
 *
 * Readers take no lock: a set's sequence counter makes a torn read a
 * miss. Writers hold the unit's cache_lock.
 *
 * Tag layout: 63 valid | 62 class | 61:60 level | 59:44 DID | 43:24 PASID
 * (0 for second-stage) | 23:0 generation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vtd.h"
#include "../../util/compiler.h"

#include "iotlb.h"

int vtd_iotlb_init(struct vtd_iotlb *t, unsigned entries)
{
	memset(t, 0, sizeof(*t));
	t->nsets = entries / VTD_IOTLB_WAYS;
	t->sets = aligned_alloc(64, sizeof(*t->sets) * t->nsets);
	t->gen = calloc(65536 * 2, sizeof(*t->gen));
	t->filled = calloc(65536 * 2 / 64, sizeof(uint64_t));
	if (!t->sets || !t->gen || !t->filled) {
		vtd_iotlb_destroy(t);
		return -ENOMEM;
	}
	memset(t->sets, 0, sizeof(*t->sets) * t->nsets);
	for (unsigned i = 0; i < 4; i++)
		atomic_init(&t->has_size[i], false);
	return 0;
}

void vtd_iotlb_destroy(struct vtd_iotlb *t)
{
	free(t->sets);
	free((void *)t->gen);
	free(t->filled);
	t->sets = NULL;
	t->gen = NULL;
	t->filled = NULL;
}

bool vtd_iotlb_lookup(struct vtd_iotlb *t, enum vtd_tlb_class c, uint16_t did, uint32_t pasid,
		      uint64_t addr, struct vtd_tlb_hit *hit)
{
	uint32_t gen = cur_gen(t, c, did);
	uint32_t tp = c == VTD_TLB_FS ? pasid : 0;
	for (unsigned level = 1; level <= 3; level++) {
		if (level > 1 && !atomic_load_explicit(&t->has_size[level], memory_order_relaxed))
			continue;
		uint64_t pfn = addr >> level_shift(level);
		uint64_t want = make_tag(c, level, did, pasid, gen);
		struct vtd_iotlb_set *set = set_of(t, did, tp, pfn, level);
		uint64_t s = seq_read_begin(&set->seq);
		uint64_t t0 = ld64(&set->way[0].tag), p0 = ld64(&set->way[0].pfn);
		uint64_t t1 = ld64(&set->way[1].tag), p1 = ld64(&set->way[1].pfn);
		unsigned w = (t0 == want && p0 == pfn) ? 0 : (t1 == want && p1 == pfn) ? 1 : 2;
		if (w == 2)
			continue;
		uint64_t out = ld64(&set->way[w].out);
		if (!seq_read_ok(&set->seq, s))
			continue;
		hit->out_base = out & ~OUT_FLAGS;
		hit->flags = (uint8_t)(out & OUT_FLAGS);
		hit->size_shift = (uint8_t)level_shift(level);
		return true;
	}
	return false;
}

/* An entry counts as live only with the current generation of its class. */
static bool live(const struct vtd_iotlb *t, uint64_t tag)
{
	return (tag & TAG_VALID) &&
	       (tag & GEN_MASK) == cur_gen(t, tag_class(tag), tag_did(tag));
}

static void clear_way(struct vtd_iotlb_set *set, unsigned w)
{
	seq_write_begin(&set->seq);
	st64(&set->way[w].tag, 0);
	seq_write_end(&set->seq);
}

bool vtd_iotlb_insert(struct vtd_iotlb *t, enum vtd_tlb_class c, uint16_t did, uint32_t pasid,
		      uint64_t addr, const struct vtd_tlb_hit *hit, uint32_t gen)
{
	unsigned level = (hit->size_shift - 12) / 9 + 1;
	if (level < 1 || level > 3)
		return false;
	/* An invalidation of the class ran since the walk began. */
	if (cur_gen(t, c, did) != (gen & GEN_MASK))
		return false;
	uint64_t pfn = addr >> level_shift(level);
	struct vtd_iotlb_set *set = set_of(t, did, c == VTD_TLB_FS ? pasid : 0, pfn, level);
	uint64_t tag = make_tag(c, level, did, pasid, gen);

	unsigned w;
	if (ld64(&set->way[0].tag) == tag && ld64(&set->way[0].pfn) == pfn)
		w = 0; /* refresh in place (e.g. the dirty bit is now set) */
	else if (ld64(&set->way[1].tag) == tag && ld64(&set->way[1].pfn) == pfn)
		w = 1;
	else if (!live(t, ld64(&set->way[0].tag)))
		w = 0;
	else if (!live(t, ld64(&set->way[1].tag)))
		w = 1;
	else
		w = set->victim++ & 1;
	if (level > 1)
		atomic_store_explicit(&t->has_size[level], true, memory_order_relaxed);
	vtd_iotlb_mark_filled(t, c, did);

	seq_write_begin(&set->seq);
	st64(&set->way[w].pfn, pfn);
	st64(&set->way[w].out, (hit->out_base & ~OUT_FLAGS) | hit->flags);
	st64(&set->way[w].tag, tag);
	seq_write_end(&set->seq);
	return true;
}

void vtd_iotlb_flush_all(struct vtd_iotlb *t)
{
	for (unsigned i = 0; i < t->nsets; i++)
		for (unsigned w = 0; w < VTD_IOTLB_WAYS; w++)
			if (ld64(&t->sets[i].way[w].tag) & TAG_VALID)
				clear_way(&t->sets[i], w);
	for (unsigned i = 0; i < 4; i++)
		atomic_store_explicit(&t->has_size[i], false, memory_order_relaxed);
	memset(t->filled, 0, 65536 * 2 / 8);
}

/* A new generation for the class: its entries and the fills in flight
 * that sampled the old one are dead. */
static void fence_class(struct vtd_iotlb *t, enum vtd_tlb_class c, uint16_t did)
{
	uint32_t g = atomic_load_explicit(&t->gen[did * 2u + c], memory_order_relaxed) + 1;
	atomic_store_explicit(&t->gen[did * 2u + c], g, memory_order_release);
	if ((g & GEN_MASK) != 0)
		return;
	/* The 24-bit generation wrapped: entries from 2^24 invalidations ago
	 * would look current again, so drop them for real. */
	for (unsigned i = 0; i < t->nsets; i++)
		for (unsigned w = 0; w < VTD_IOTLB_WAYS; w++) {
			uint64_t tag = ld64(&t->sets[i].way[w].tag);
			if ((tag & TAG_VALID) && tag_class(tag) == c && tag_did(tag) == did)
				clear_way(&t->sets[i], w);
		}
}

static bool test_and_clear_filled(struct vtd_iotlb *t, enum vtd_tlb_class c, uint16_t did,
				  bool clear)
{
	unsigned bit = did * 2u + c;
	bool was = t->filled[bit / 64] & (1ull << (bit % 64));
	if (clear)
		t->filled[bit / 64] &= ~(1ull << (bit % 64));
	return was;
}

bool vtd_iotlb_flush_class(struct vtd_iotlb *t, enum vtd_tlb_class c, uint16_t did)
{
	bool was = test_and_clear_filled(t, c, did, true);
	fence_class(t, c, did);
	/* Nothing of the class went in since its last class-wide flush:
	 * no micro-TLB holds any of it either. */
	return was;
}

static bool matches(uint64_t tag, enum vtd_tlb_class c, uint16_t did, uint32_t pasid)
{
	return (tag & TAG_VALID) && tag_class(tag) == c && tag_did(tag) == did &&
	       (c == VTD_TLB_SS || tag_pasid(tag) == (pasid & 0xfffff));
}

bool vtd_iotlb_flush_range(struct vtd_iotlb *t, enum vtd_tlb_class c, uint16_t did, uint32_t pasid,
			   uint64_t addr, unsigned am)
{
	/* Nothing of this class of the domain went in since its last
	 * class-wide flush: nothing to look for, only fills in flight to
	 * stop (a new generation drops nothing live). */
	if (!test_and_clear_filled(t, c, did, false)) {
		fence_class(t, c, did);
		return false;
	}
	uint64_t first = addr & VTD_PAGE_MASK;
	uint64_t last = first + (VTD_PAGE_SIZE << am) - 1;
	uint64_t probes = 0;
	for (unsigned level = 1; level <= 3; level++)
		probes += ((last >> level_shift(level)) - (first >> level_shift(level)) + 1);

	if (probes > t->nsets) {
		/* Cheaper to look at every entry than to probe every page. */
		for (unsigned i = 0; i < t->nsets; i++) {
			struct vtd_iotlb_set *set = &t->sets[i];
			for (unsigned w = 0; w < VTD_IOTLB_WAYS; w++) {
				uint64_t tag = ld64(&set->way[w].tag);
				if (!matches(tag, c, did, pasid))
					continue;
				unsigned sh = level_shift(tag_level(tag));
				uint64_t p = ld64(&set->way[w].pfn);
				if (p >= (first >> sh) && p <= (last >> sh))
					clear_way(set, w);
			}
		}
		return true;
	}

	uint32_t tp = c == VTD_TLB_FS ? pasid : 0;
	for (unsigned level = 1; level <= 3; level++) {
		if (level > 1 && !atomic_load_explicit(&t->has_size[level], memory_order_relaxed))
			continue;
		unsigned sh = level_shift(level);
		for (uint64_t pfn = first >> sh; pfn <= (last >> sh); pfn++) {
			struct vtd_iotlb_set *set = set_of(t, did, tp, pfn, level);
			for (unsigned w = 0; w < VTD_IOTLB_WAYS; w++) {
				uint64_t tag = ld64(&set->way[w].tag);
				if (matches(tag, c, did, pasid) && tag_level(tag) == level &&
				    ld64(&set->way[w].pfn) == pfn)
					clear_way(set, w);
			}
		}
	}
	return true;
}

bool vtd_iotlb_flush_pasid(struct vtd_iotlb *t, uint16_t did, uint32_t pasid)
{
	if (!test_and_clear_filled(t, VTD_TLB_FS, did, false)) {
		fence_class(t, VTD_TLB_FS, did);
		return false;
	}
	for (unsigned i = 0; i < t->nsets; i++)
		for (unsigned w = 0; w < VTD_IOTLB_WAYS; w++)
			if (matches(ld64(&t->sets[i].way[w].tag), VTD_TLB_FS, did, pasid))
				clear_way(&t->sets[i], w);
	return true;
}

unsigned vtd_iotlb_count(struct vtd_iotlb *t)
{
	unsigned n = 0;
	for (unsigned i = 0; i < t->nsets; i++)
		for (unsigned w = 0; w < VTD_IOTLB_WAYS; w++)
			if (live(t, ld64(&t->sets[i].way[w].tag)))
				n++;
	return n;
}
