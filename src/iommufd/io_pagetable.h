/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IOVA -> memory map of an IOAS (Linux io_pagetable.h in shape, SPEC
 * U-3): areas in an interval tree, each a slice of an iopt_pages (a run of
 * user or memory-file pages, shared by COPY); the allowed and reserved
 * IOVA ranges; and the domains every area is mirrored into.
 *
 * An area with pages == NULL is being created or torn down. Domains are
 * filled under domains_rwsem: a reader may add or remove areas, a writer
 * adds or removes domains. iova_rwsem guards the trees.
 */
#ifndef UIOMMU_IOMMUFD_IO_PAGETABLE_H
#define UIOMMU_IOMMUFD_IO_PAGETABLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "../mm/mm.h"
#include "../mm/range_refs.h"
#include "../util/interval_tree.h"
#include "../util/list.h"
#include "../util/xarray.h"

struct iommu_domain;
struct iommufd_ctx;
struct iommufd_access;
struct iommu_hwpt_get_dirty_bitmap;

struct io_pagetable {
	pthread_rwlock_t domains_rwsem;
	struct xarray domains;          /* 0 .. next_domain_id-1 -> iommu_domain */
	unsigned next_domain_id;
	pthread_mutex_t access_lock;
	struct xarray access_list;      /* id -> iommufd_access, under access_lock */
	pthread_rwlock_t iova_rwsem;
	struct interval_tree_root area_itree;     /* struct iopt_area */
	struct interval_tree_root allowed_itree;  /* struct iopt_allowed */
	struct interval_tree_root reserved_itree; /* struct iopt_reserved */
	bool disable_large_pages;
	uint64_t iova_alignment;
};

struct iopt_area {
	struct interval_tree_node node;        /* IOVA, in iopt->area_itree */
	uint64_t first_index, last_index;      /* pages of iopt_pages it maps */
	struct io_pagetable *iopt;
	struct iopt_pages *pages;
	/* Non-NULL while the area is in domains: it then holds its pages
	 * pinned (one holder of pages->users). Under pages->mutex. */
	struct iommu_domain *storage_domain;
	unsigned page_offset;                  /* bytes into the first page */
	int iommu_prot;
	bool prevent_access;
	unsigned num_accesses;                 /* under iova_rwsem (write) or pages->mutex */
	unsigned num_locks;                    /* accesses that forbid unmapping */
	/* A nested IOAS's shadow of [nest_src, +length) of its parent
	 * (ioas_nest.c); set under iova_rwsem once the area is published. */
	bool nest_shadow;
	uint64_t nest_src;
};

struct iopt_allowed {
	struct interval_tree_node node;
};

struct iopt_reserved {
	struct interval_tree_node node;
	void *owner;
};

static inline uint64_t iopt_area_iova(const struct iopt_area *area)
{
	return area->node.start;
}

static inline uint64_t iopt_area_last_iova(const struct iopt_area *area)
{
	return area->node.last;
}

static inline uint64_t iopt_area_length(const struct iopt_area *area)
{
	return area->node.last - area->node.start + 1;
}

/* Bytes from the start of the iopt_pages to iova. */
static inline uint64_t iopt_area_start_byte(const struct iopt_area *area, uint64_t iova)
{
	return (iova - iopt_area_iova(area)) + area->page_offset +
	       area->first_index * MM_PAGE_SIZE;
}

static inline uint64_t iopt_area_iova_to_index(const struct iopt_area *area, uint64_t iova)
{
	return iopt_area_start_byte(area, iova) / MM_PAGE_SIZE;
}

static inline struct iopt_area *area_of(struct interval_tree_node *n)
{
	return (struct iopt_area *)n;
}

struct iopt_area *iopt_area_iter_first(struct io_pagetable *iopt, uint64_t start, uint64_t last);
struct iopt_area *iopt_area_iter_next(struct iopt_area *area, uint64_t start, uint64_t last);

/* Areas covering [iova, last_iova] back to back, none in setup. */
struct iopt_area_contig_iter {
	uint64_t cur_iova;
	uint64_t last_iova;
	struct iopt_area *area;
};
struct iopt_area *iopt_area_contig_init(struct iopt_area_contig_iter *iter,
					struct io_pagetable *iopt, uint64_t iova, uint64_t last);
struct iopt_area *iopt_area_contig_next(struct iopt_area_contig_iter *iter);
static inline bool iopt_area_contig_done(struct iopt_area_contig_iter *iter)
{
	return iter->area && iter->last_iova <= iopt_area_last_iova(iter->area);
}
#define iopt_for_each_contig_area(iter, area, iopt, iova, last)                 \
	for (area = iopt_area_contig_init(iter, iopt, iova, last); area;        \
	     area = iopt_area_contig_next(iter))

/* ---- iopt_pages (pages.c) ---- */

enum iopt_address_type {
	IOPT_ADDRESS_USER = 0,
	IOPT_ADDRESS_FILE,
	IOPT_ADDRESS_DMABUF,
};

struct dma_buf_attachment;

/*
 * Pages of a linear run of user memory or of a memory file, pinned only
 * while something needs them: `users` counts, per page index, the areas
 * in domains and the accesses covering it; a page is pinned (faulted in,
 * counted process-wide, charged) exactly while its count is non-zero.
 * Shared by every area that maps a slice of it (COPY).
 */
struct iopt_pages {
	atomic_int kref;
	pthread_mutex_t mutex;         /* everything below but the immutable fields */
	uint64_t npages;
	uint64_t npinned;
	enum iopt_address_type type;
	uint64_t uptr;                 /* USER: page aligned */
	struct mm_file *file;          /* FILE */
	uint64_t start;                /* FILE, DMABUF: offset of index 0, page aligned */
	uint64_t phys;                 /* physical address of index 0 */
	/* DMABUF: the buffer's memory is mapped into domains directly - no
	 * pins, no charge - and unmapped from all of them when the exporter
	 * revokes it, for good; `tracker` lists each (area, domain) it is in
	 * (struct iopt_pages_dmabuf_track). Under mutex. */
	struct dma_buf_attachment *attach;
	bool revoked;
	struct list_node tracker;
	bool writable;
	uint8_t account_mode;          /* enum mm_account_mode */
	pid_t source_pid;              /* the process charged */
	struct range_refs users;       /* index -> holders */
	struct interval_tree_root access_itree; /* struct iopt_pages_access, by index */
};

/* An access's pin of [first, last] pages; users counts identical pins. */
struct iopt_pages_access {
	struct interval_tree_node node;
	unsigned users;
};

/* The pages object common to every source: `length` bytes from `start_byte`
 * into its first page, user-accounted; the caller sets the source. */
struct iopt_pages *iopt_pages_alloc(uint64_t start_byte, uint64_t length, bool writable, int *err);
struct iopt_pages *iopt_alloc_user_pages(uint64_t uptr, uint64_t length, bool writable,
					 int *err);
struct iopt_pages *iopt_alloc_file_pages(int fd, uint64_t start, uint64_t length, bool writable,
					 int *err);
struct dma_buf;
/* A slice of a dma-buf: -EINVAL past its end, or what the exporter says
 * (-ENODEV: revoked). */
struct iopt_pages *iopt_alloc_dmabuf_pages(struct dma_buf *buf, uint64_t start, uint64_t length,
					   bool writable, int *err);
static inline bool iopt_is_dmabuf(const struct iopt_pages *pages)
{
	return pages->type == IOPT_ADDRESS_DMABUF;
}
void iopt_pages_get(struct iopt_pages *pages);
void iopt_put_pages(struct iopt_pages *pages);

int iopt_area_fill_domains(struct iopt_area *area, struct iopt_pages *pages);
void iopt_area_unfill_domains(struct iopt_area *area, struct iopt_pages *pages);
int iopt_area_fill_domain(struct iopt_area *area, struct iommu_domain *domain);
void iopt_area_unfill_domain(struct iopt_area *area, struct iopt_pages *pages,
			     struct iommu_domain *domain);
/* Map the whole area into a domain (page by page when large pages are
 * off). */
int iopt_area_map_domain(struct iopt_area *area, struct iopt_pages *pages,
			 struct iommu_domain *domain);
void iopt_area_unmap_domain(struct iopt_area *area, struct iommu_domain *domain);
/* A domain that is not the area's last leaves it. */
void iopt_area_remove_domain(struct iopt_area *area, struct iommu_domain *domain);
/* pages_dmabuf.c; callers hold pages->mutex. */
int iopt_dmabuf_fill_domain(struct iopt_area *area, struct iopt_pages *pages,
			    struct iommu_domain *domain);
void iopt_dmabuf_unfill_domain(struct iopt_area *area, struct iopt_pages *pages,
			       struct iommu_domain *domain);
void iopt_dmabuf_release(struct iopt_pages *pages);

int iopt_area_add_access(struct iopt_area *area, uint64_t start_index, uint64_t last_index,
			 void **out_pages, unsigned int flags, bool lock_area);
void iopt_area_remove_access(struct iopt_area *area, uint64_t start_index, uint64_t last_index,
			     bool unlock_area);
int iopt_pages_rw_access(struct iopt_pages *pages, uint64_t start_byte, void *data,
			 uint64_t length, unsigned int flags);

/* ---- the table (io_pagetable.c) ---- */

enum {
	IOPT_ALLOC_IOVA = 1 << 0,
};

/* A slice of pages to map: COPY collects several. */
struct iopt_pages_list {
	struct iopt_pages *pages;
	struct iopt_area *area;
	struct list_node next;
	uint64_t start_byte;
	uint64_t length;
};

void iopt_init_table(struct io_pagetable *iopt);
void iopt_destroy_table(struct io_pagetable *iopt);
/* Would unmapping [start, last] succeed now (0, -ENOENT, -EBUSY)? */
int iopt_unmap_check(struct io_pagetable *iopt, uint64_t start, uint64_t last);
int iopt_get_pages(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
		   struct list_node *pages_list);
void iopt_free_pages_list(struct list_node *pages_list);
int iopt_map_user_pages(struct iommufd_ctx *ictx, struct io_pagetable *iopt, uint64_t *iova,
			uint64_t uptr, uint64_t length, int iommu_prot, unsigned int flags);
int iopt_map_file_pages(struct iommufd_ctx *ictx, struct io_pagetable *iopt, uint64_t *iova,
			int fd, uint64_t start, uint64_t length, int iommu_prot,
			unsigned int flags);
int iopt_map_pages(struct io_pagetable *iopt, struct list_node *pages_list, uint64_t length,
		   uint64_t *dst_iova, int iommu_prot, unsigned int flags);
int iopt_unmap_iova(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
		    uint64_t *unmapped);
int iopt_unmap_all(struct io_pagetable *iopt, uint64_t *unmapped);
int iopt_table_add_domain(struct io_pagetable *iopt, struct iommu_domain *domain);
void iopt_table_remove_domain(struct io_pagetable *iopt, struct iommu_domain *domain);
int iopt_table_enforce_dev_resv_regions(struct io_pagetable *iopt, struct device *dev);
int iopt_set_allow_iova(struct io_pagetable *iopt, struct interval_tree_root *allowed);
int iopt_reserve_iova(struct io_pagetable *iopt, uint64_t start, uint64_t last, void *owner);
void iopt_remove_reserved_iova(struct io_pagetable *iopt, void *owner);
int iopt_cut_iova(struct io_pagetable *iopt, uint64_t *iovas, size_t num_iovas);
void iopt_enable_large_pages(struct io_pagetable *iopt);
int iopt_disable_large_pages(struct io_pagetable *iopt);
int iopt_read_and_clear_dirty_data(struct io_pagetable *iopt, struct iommu_domain *domain,
				   unsigned long flags, struct iommu_hwpt_get_dirty_bitmap *bitmap);
int iopt_set_dirty_tracking(struct io_pagetable *iopt, struct iommu_domain *domain, bool enable);
int iommufd_check_iova_range(struct io_pagetable *iopt, struct iommu_hwpt_get_dirty_bitmap *bitmap);

#endif
