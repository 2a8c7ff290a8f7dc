/* SPDX-License-Identifier: BSD-3-Clause */
/* A guest's RAM and first-stage page tables (guest.h). */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "guest.h"

#define PAGE 4096ull
#define SZ_2M (2ull << 20)
#define ADDR_MASK 0x000ffffffffff000ull

int guest_init(struct guest *g, uint64_t gpa_base, uint64_t size, uint64_t table_bytes)
{
	memset(g, 0, sizeof(*g));
	if (!size || (size & (SZ_2M - 1)) || (gpa_base & (PAGE - 1)) || table_bytes > size ||
	    (table_bytes & (PAGE - 1)))
		return -EINVAL;
	/* 2 MiB aligned, so the GPA IOAS can map it with large pages. */
	uint8_t *p = mmap(NULL, size + SZ_2M, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	uint8_t *a = (uint8_t *)(((uintptr_t)p + SZ_2M - 1) & ~(uintptr_t)(SZ_2M - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	munmap(a + size, (size_t)(p + SZ_2M - a));
	madvise(a, size, MADV_HUGEPAGE);
	memset(a, 0, size);
	g->ram = a;
	g->gpa_base = gpa_base;
	g->size = size;
	g->next_table = gpa_base + size;
	g->table_floor = gpa_base + size - table_bytes;
	return 0;
}

void guest_fini(struct guest *g)
{
	if (g->ram)
		munmap(g->ram, g->size);
	memset(g, 0, sizeof(*g));
}

void *guest_va(const struct guest *g, uint64_t gpa)
{
	if (gpa < g->gpa_base || gpa - g->gpa_base >= g->size)
		return NULL;
	return g->ram + (gpa - g->gpa_base);
}

uint64_t guest_table_page(struct guest *g)
{
	if (g->next_table - PAGE < g->table_floor)
		return 0;
	g->next_table -= PAGE;
	memset(guest_va(g, g->next_table), 0, PAGE);
	return g->next_table;
}

int guest_pt_init(struct guest_pt *pt, struct guest *g, unsigned levels)
{
	if (levels != 4 && levels != 5)
		return -EINVAL;
	pt->g = g;
	pt->levels = levels;
	pt->root = guest_table_page(g);
	return pt->root ? 0 : -ENOMEM;
}

static uint64_t load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static unsigned shift_of(unsigned level)
{
	return 12 + 9 * (level - 1);
}

/* The entry for va at `level`, creating tables above it if `alloc`. */
static uint64_t *walk(const struct guest_pt *pt, uint64_t va, unsigned level, bool alloc)
{
	uint64_t table = pt->root;
	for (unsigned l = pt->levels;; l--) {
		uint64_t *t = guest_va(pt->g, table);
		if (!t)
			return NULL;
		uint64_t *e = &t[(va >> shift_of(l)) & 511];
		if (l == level)
			return e;
		uint64_t v = load(e);
		if (!(v & GUEST_PTE_P)) {
			if (!alloc)
				return NULL;
			uint64_t page = guest_table_page(pt->g);
			if (!page)
				return NULL;
			/* Accessed already, as a guest kernel's tables soon are:
			 * the unit then writes only the leaves' A/D bits. */
			v = page | GUEST_PTE_USER | GUEST_PTE_A;
			store(e, v);
		} else if (v & GUEST_PTE_PS) {
			return NULL; /* a large leaf above */
		}
		table = v & ADDR_MASK;
	}
}

static unsigned level_of(unsigned shift)
{
	return shift == 30 ? 3 : shift == 21 ? 2 : shift == 12 ? 1 : 0;
}

int guest_pt_map(struct guest_pt *pt, uint64_t va, uint64_t gpa, unsigned shift, uint64_t bits)
{
	unsigned level = level_of(shift);
	if (!level || ((va | gpa) & ((1ull << shift) - 1)))
		return -EINVAL;
	uint64_t *e = walk(pt, va, level, true);
	if (!e)
		return -ENOMEM;
	if (load(e) & GUEST_PTE_P)
		return -EEXIST;
	store(e, gpa | bits | (level > 1 ? GUEST_PTE_PS : 0));
	return 0;
}

/* The present leaf mapping va, and its level. */
static uint64_t *leaf(const struct guest_pt *pt, uint64_t va, unsigned *level)
{
	for (unsigned l = pt->levels; l >= 1; l--) {
		uint64_t *e = walk(pt, va, l, false);
		if (!e || !(load(e) & GUEST_PTE_P))
			return NULL;
		if (l == 1 || (load(e) & GUEST_PTE_PS)) {
			*level = l;
			return e;
		}
	}
	return NULL;
}

int guest_pt_set(struct guest_pt *pt, uint64_t va, uint64_t gpa, uint64_t bits)
{
	unsigned level;
	uint64_t *e = leaf(pt, va, &level);
	if (!e)
		return -ENOENT;
	store(e, (gpa & ~((1ull << shift_of(level)) - 1)) | bits | (level > 1 ? GUEST_PTE_PS : 0));
	return 0;
}

int guest_pt_unmap(struct guest_pt *pt, uint64_t va)
{
	unsigned level;
	uint64_t *e = leaf(pt, va, &level);
	if (!e)
		return -ENOENT;
	store(e, 0);
	return 0;
}

uint64_t *guest_pte(const struct guest_pt *pt, uint64_t va, unsigned level)
{
	return walk(pt, va, level, false);
}
