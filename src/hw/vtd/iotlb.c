/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IOTLB (VT-d 6.2.3): a set-associative cache of translations.
 *
 * Second-stage-only translations are tagged by domain ID alone (the same
 * second-stage table serves every PASID of the domain); first-stage and
 * nested translations by domain ID and PASID (6.2.3.1). Each entry also
 * carries a generation of its (domain, class): the selectivities that
 * drop a whole class of a domain at once - domain-selective IOTLB
 * invalidation, and the first-stage part of a page-selective one
 * (6.5.2.3) - bump that generation instead of walking the array.
 *
 * Readers take no lock: each entry is guarded by a sequence counter and a
 * torn read is a miss. Writers hold the unit's cache_lock.
 *
 * Tag layout: 63 valid | 62 class | 61:60 level | 59:44 DID | 43:24 PASID
 * (0 for second-stage) | 23:0 generation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vtd.h"
#include "../../util/compiler.h"

#define TAG_VALID  (1ull << 63)
#define GEN_MASK   0xffffffu
#define OUT_FLAGS  0xfffull

static inline uint64_t make_tag(enum vtd_tlb_class c, unsigned level, uint16_t did, uint32_t pasid,
				uint32_t gen)
{
	return TAG_VALID | ((uint64_t)c << 62) | ((uint64_t)level << 60) | ((uint64_t)did << 44) |
	       ((uint64_t)(c == VTD_TLB_FS ? pasid & 0xfffff : 0) << 24) | (gen & GEN_MASK);
}

static inline unsigned tag_level(uint64_t tag)
{
	return (unsigned)(tag >> 60) & 3;
}

static inline uint16_t tag_did(uint64_t tag)
{
	return (uint16_t)(tag >> 44);
}

static inline uint32_t tag_pasid(uint64_t tag)
{
	return (uint32_t)(tag >> 24) & 0xfffff;
}

static inline enum vtd_tlb_class tag_class(uint64_t tag)
{
	return (enum vtd_tlb_class)((tag >> 62) & 1);
}

static inline unsigned level_shift(unsigned level)
{
	return 12 + 9 * (level - 1);
}

/* Consecutive pages of one address space land in consecutive sets. */
static inline unsigned set_of(const struct vtd_iotlb *t, uint16_t did, uint32_t pasid, uint64_t pfn,
			      unsigned level)
{
	uint64_t h = pfn + (((uint64_t)did * 0x9e3779b1u) ^ ((uint64_t)pasid * 0x85ebca6bu) ^
			    ((uint64_t)level << 29));
	return (unsigned)h & (t->nsets - 1);
}

static inline uint32_t cur_gen(const struct vtd_iotlb *t, enum vtd_tlb_class c, uint16_t did)
{
	return atomic_load_explicit(&t->gen[did * 2u + c], memory_order_acquire) & GEN_MASK;
}

int vtd_iotlb_init(struct vtd_iotlb *t, unsigned entries)
{
	memset(t, 0, sizeof(*t));
	t->nsets = entries / VTD_IOTLB_WAYS;
	t->e = aligned_alloc(64, sizeof(*t->e) * entries);
	t->victim = calloc(t->nsets, 1);
	t->gen = calloc(65536 * 2, sizeof(*t->gen));
	if (!t->e || !t->victim || !t->gen) {
		vtd_iotlb_destroy(t);
		return -ENOMEM;
	}
	memset(t->e, 0, sizeof(*t->e) * entries);
	for (unsigned i = 0; i < 4; i++)
		atomic_init(&t->has_size[i], false);
	return 0;
}

void vtd_iotlb_destroy(struct vtd_iotlb *t)
{
	free(t->e);
	free(t->victim);
	free((void *)t->gen);
	t->e = NULL;
	t->victim = NULL;
	t->gen = NULL;
}

bool vtd_iotlb_lookup(struct vtd_iotlb *t, enum vtd_tlb_class c, uint16_t did, uint32_t pasid,
		      uint64_t addr, struct vtd_tlb_hit *hit)
{
	uint32_t gen = cur_gen(t, c, did);
	for (unsigned level = 1; level <= 3; level++) {
		if (level > 1 && !atomic_load_explicit(&t->has_size[level], memory_order_relaxed))
			continue;
		uint64_t pfn = addr >> level_shift(level);
		uint64_t want = make_tag(c, level, did, pasid, gen);
		struct vtd_iotlb_entry *set =
			&t->e[set_of(t, did, c == VTD_TLB_FS ? pasid : 0, pfn, level) * VTD_IOTLB_WAYS];
		for (unsigned w = 0; w < VTD_IOTLB_WAYS; w++) {
			struct vtd_iotlb_entry *e = &set[w];
			uint64_t s = seq_read_begin(&e->seq);
			uint64_t tag = ld64(&e->tag), p = ld64(&e->pfn), out = ld64(&e->out);
			if (tag == want && p == pfn && seq_read_ok(&e->seq, s)) {
				hit->out_base = out & ~OUT_FLAGS;
				hit->flags = (uint8_t)(out & OUT_FLAGS);
				hit->size_shift = (uint8_t)level_shift(level);
				return true;
			}
		}
	}
	return false;
}

static void clear_entry(struct vtd_iotlb_entry *e)
{
	seq_write_begin(&e->seq);
	st64(&e->tag, 0);
	seq_write_end(&e->seq);
}

/* An entry counts as live only with the current generation of its class. */
static bool live(const struct vtd_iotlb *t, uint64_t tag)
{
	return (tag & TAG_VALID) &&
	       (tag & GEN_MASK) == cur_gen(t, tag_class(tag), tag_did(tag));
}

void vtd_iotlb_insert(struct vtd_iotlb *t, enum vtd_tlb_class c, uint16_t did, uint32_t pasid,
		      uint64_t addr, const struct vtd_tlb_hit *hit)
{
	unsigned level = (hit->size_shift - 12) / 9 + 1;
	if (level < 1 || level > 3)
		return;
	uint64_t pfn = addr >> level_shift(level);
	uint32_t sidx = set_of(t, did, c == VTD_TLB_FS ? pasid : 0, pfn, level);
	struct vtd_iotlb_entry *set = &t->e[sidx * VTD_IOTLB_WAYS];
	uint64_t tag = make_tag(c, level, did, pasid, cur_gen(t, c, did));

	struct vtd_iotlb_entry *slot = NULL;
	for (unsigned w = 0; w < VTD_IOTLB_WAYS && !slot; w++) {
		uint64_t old = ld64(&set[w].tag);
		if (old == tag && ld64(&set[w].pfn) == pfn)
			slot = &set[w]; /* refresh in place (e.g. dirty bit now set) */
	}
	for (unsigned w = 0; w < VTD_IOTLB_WAYS && !slot; w++)
		if (!live(t, ld64(&set[w].tag)))
			slot = &set[w];
	if (!slot) {
		slot = &set[t->victim[sidx]];
		t->victim[sidx] = (uint8_t)((t->victim[sidx] + 1) % VTD_IOTLB_WAYS);
	}
	if (level > 1)
		atomic_store_explicit(&t->has_size[level], true, memory_order_relaxed);

	seq_write_begin(&slot->seq);
	st64(&slot->pfn, pfn);
	st64(&slot->out, (hit->out_base & ~OUT_FLAGS) | hit->flags);
	st64(&slot->tag, tag);
	seq_write_end(&slot->seq);
}

void vtd_iotlb_flush_all(struct vtd_iotlb *t)
{
	for (unsigned i = 0; i < t->nsets * VTD_IOTLB_WAYS; i++)
		if (ld64(&t->e[i].tag) & TAG_VALID)
			clear_entry(&t->e[i]);
	for (unsigned i = 0; i < 4; i++)
		atomic_store_explicit(&t->has_size[i], false, memory_order_relaxed);
}

void vtd_iotlb_flush_class(struct vtd_iotlb *t, enum vtd_tlb_class c, uint16_t did)
{
	uint32_t g = atomic_fetch_add_explicit(&t->gen[did * 2u + c], 1, memory_order_release) + 1;
	if ((g & GEN_MASK) != 0)
		return;
	/* The 24-bit generation wrapped: entries from 2^24 invalidations ago
	 * would look current again, so drop them for real. */
	for (unsigned i = 0; i < t->nsets * VTD_IOTLB_WAYS; i++) {
		uint64_t tag = ld64(&t->e[i].tag);
		if ((tag & TAG_VALID) && tag_class(tag) == c && tag_did(tag) == did)
			clear_entry(&t->e[i]);
	}
}

static bool matches(uint64_t tag, enum vtd_tlb_class c, uint16_t did, uint32_t pasid)
{
	return (tag & TAG_VALID) && tag_class(tag) == c && tag_did(tag) == did &&
	       (c == VTD_TLB_SS || tag_pasid(tag) == (pasid & 0xfffff));
}

void vtd_iotlb_flush_range(struct vtd_iotlb *t, enum vtd_tlb_class c, uint16_t did, uint32_t pasid,
			   uint64_t addr, unsigned am)
{
	uint64_t first = addr & VTD_PAGE_MASK;
	uint64_t last = first + (VTD_PAGE_SIZE << am) - 1;
	uint64_t probes = 0;
	for (unsigned level = 1; level <= 3; level++)
		probes += ((last >> level_shift(level)) - (first >> level_shift(level)) + 1);

	if (probes > t->nsets) {
		/* Cheaper to look at every entry than to probe every page. */
		for (unsigned i = 0; i < t->nsets * VTD_IOTLB_WAYS; i++) {
			struct vtd_iotlb_entry *e = &t->e[i];
			uint64_t tag = ld64(&e->tag);
			if (!matches(tag, c, did, pasid))
				continue;
			unsigned sh = level_shift(tag_level(tag));
			uint64_t p = ld64(&e->pfn);
			if (p >= (first >> sh) && p <= (last >> sh))
				clear_entry(e);
		}
		return;
	}

	for (unsigned level = 1; level <= 3; level++) {
		unsigned sh = level_shift(level);
		for (uint64_t pfn = first >> sh; pfn <= (last >> sh); pfn++) {
			struct vtd_iotlb_entry *set =
				&t->e[set_of(t, did, c == VTD_TLB_FS ? pasid : 0, pfn, level) *
				      VTD_IOTLB_WAYS];
			for (unsigned w = 0; w < VTD_IOTLB_WAYS; w++) {
				uint64_t tag = ld64(&set[w].tag);
				if (matches(tag, c, did, pasid) && tag_level(tag) == level &&
				    ld64(&set[w].pfn) == pfn)
					clear_entry(&set[w]);
			}
		}
	}
}

void vtd_iotlb_flush_pasid(struct vtd_iotlb *t, uint16_t did, uint32_t pasid)
{
	for (unsigned i = 0; i < t->nsets * VTD_IOTLB_WAYS; i++) {
		uint64_t tag = ld64(&t->e[i].tag);
		if (matches(tag, VTD_TLB_FS, did, pasid))
			clear_entry(&t->e[i]);
	}
}

unsigned vtd_iotlb_count(struct vtd_iotlb *t)
{
	unsigned n = 0;
	for (unsigned i = 0; i < t->nsets * VTD_IOTLB_WAYS; i++)
		if (live(t, ld64(&t->e[i].tag)))
			n++;
	return n;
}
