/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A guest, as a VMM with a vIOMMU sees one (SPEC U-10, seed 2 section
 * 4.4/4.5): RAM at guest-physical addresses, backed by host memory the VMM
 * maps into the GPA IOAS, and the guest IOMMU driver's first-stage page
 * tables - IA-32e format, 4 or 5 levels, every pointer in them a GPA -
 * allocated from that RAM. The unit walks them through the second stage.
 *
 * Used by tests, the nested demo and the benchmarks; no kernel-side code
 * includes it. Entries are written with atomic stores, since the unit may
 * walk a table while the guest edits it.
 */
#ifndef UIOMMU_TOOLS_GUEST_H
#define UIOMMU_TOOLS_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct guest {
	uint8_t *ram;          /* host memory behind [gpa_base, gpa_base + size) */
	uint64_t gpa_base;
	uint64_t size;
	uint64_t next_table;   /* table pages come from the top of RAM, down */
	uint64_t table_floor;  /* no table page below this GPA */
};

/* RAM of `size` bytes (a multiple of 2 MiB) at gpa_base, 2 MiB aligned
 * in the host too; the top `table_bytes` hold page tables. 0 or -errno. */
int guest_init(struct guest *g, uint64_t gpa_base, uint64_t size, uint64_t table_bytes);
void guest_fini(struct guest *g);

/* The host address of a GPA inside RAM, or NULL. */
void *guest_va(const struct guest *g, uint64_t gpa);
/* A zeroed page for tables (its GPA), or 0 when the table area is used. */
uint64_t guest_table_page(struct guest *g);

/* First-stage entry bits (x86 IA-32e, VT-d 9.7). */
#define GUEST_PTE_P  (1ull << 0)
#define GUEST_PTE_RW (1ull << 1)
#define GUEST_PTE_US (1ull << 2)
#define GUEST_PTE_A  (1ull << 5)
#define GUEST_PTE_D  (1ull << 6)
#define GUEST_PTE_PS (1ull << 7)
#define GUEST_PTE_XD (1ull << 63)
#define GUEST_PTE_USER (GUEST_PTE_P | GUEST_PTE_RW | GUEST_PTE_US)

/* A first-stage address space of `levels` (4: 48-bit, 5: 57-bit). */
struct guest_pt {
	struct guest *g;
	uint64_t root;         /* GPA of the top table */
	unsigned levels;
};

int guest_pt_init(struct guest_pt *pt, struct guest *g, unsigned levels);
/* Map [va, +1 << shift) to gpa (shift 12, 21 or 30) with leaf `bits`;
 * tables on the way get P|RW|US|A. -EEXIST over a present leaf, -ENOMEM. */
int guest_pt_map(struct guest_pt *pt, uint64_t va, uint64_t gpa, unsigned shift, uint64_t bits);
/* Point an existing leaf elsewhere or change its bits (the guest editing
 * its table; the unit is not told). */
int guest_pt_set(struct guest_pt *pt, uint64_t va, uint64_t gpa, uint64_t bits);
int guest_pt_unmap(struct guest_pt *pt, uint64_t va);
/* The entry at `level` (1 = 4 KiB leaf) on va's walk, NULL if the walk
 * ends above it. */
uint64_t *guest_pte(const struct guest_pt *pt, uint64_t va, unsigned level);

#endif
