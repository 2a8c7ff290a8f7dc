/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The type1 IOMMU backend (SPEC M-5 .. M-7): one I/O address space per
 * container, made of the user's MAP_DMA mappings, mirrored into every
 * IOMMU domain the container's groups need.
 *
 * The isolation decision is the one of patch 8 of the 2018 series:
 *  - a PCI group is attached whole to a domain;
 *  - an mdev group whose mdevs all name the same iommu_device is isolated
 *    by the IOMMU through that device: an auxiliary domain (its own PASID)
 *    when the device is in aux mode, else the device's own domain; the
 *    mdev learns its domain through mdev_set_iommu_domain();
 *  - any other mdev group (no iommu_device, or several different ones) is
 *    "external": its parent reaches user memory only through
 *    vfio_pin_pages(), and must drop pins when told of an unmap.
 *
 * New groups first try to join an existing domain; otherwise they get a
 * new domain into which every mapping is replayed. The usable IOVA ranges
 * are the intersection of the domains' apertures minus the reserved
 * regions of the devices behind them (VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uiommu/iommu.h>

#include "vfio.h"
#include "../base/uaccess.h"
#include "../host/host.h"
#include "../iommu/group.h"
#include "../iommu/iommu.h"
#include "../mdev/mdev.h"

#define DMA_ENTRY_LIMIT 65535u     /* Linux's dma_entry_limit default */
#define MAX_IOVA_RANGES 16
#define PAGE_SHIFT 12
#define UNPIN_RETRIES 3

struct vfio_dma {
	uint64_t iova, size, vaddr;
	int prot;                      /* IOMMU_READ | IOMMU_WRITE */
	uint32_t *pins;                /* per-page pin counts (emulated users) */
	uint64_t nr_pinned;            /* pages with a count */
};

struct type1_group {
	struct vfio_group *group;
	struct device *iommu_device;   /* mdev groups isolated by the IOMMU */
	bool aux;                      /* ... through an auxiliary domain */
	struct list_node node;
};

struct type1_domain {
	struct iommu_domain *domain;
	struct list_node groups;       /* type1_group.node */
	struct list_node node;
};

struct iova_range {
	uint64_t start, last;
};

struct vfio_iommu {
	struct uiommu_host *h;
	pthread_mutex_t lock;
	bool v2;
	struct list_node domains;      /* type1_domain.node */
	struct list_node emulated;     /* type1_group.node: the external domain */
	struct vfio_dma *dma;          /* sorted by iova, never overlapping */
	size_t nr_dma, cap_dma;
	unsigned dma_avail;
	uint64_t pgsize_bitmap;
	struct iova_range iova[MAX_IOVA_RANGES];
	unsigned nr_iova;              /* 0: no IOMMU domain, nothing to honour */
};

/* ---- the mapping table ---- */

/* First mapping whose end lies above `iova`. */
static size_t dma_lower_bound(struct vfio_iommu *it, uint64_t iova)
{
	size_t lo = 0, hi = it->nr_dma;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (it->dma[mid].iova + it->dma[mid].size - 1 < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index of a mapping overlapping [iova, last], or nr_dma. */
static size_t dma_find(struct vfio_iommu *it, uint64_t iova, uint64_t last)
{
	size_t i = dma_lower_bound(it, iova);
	return i < it->nr_dma && it->dma[i].iova <= last ? i : it->nr_dma;
}

static int dma_insert(struct vfio_iommu *it, const struct vfio_dma *d)
{
	if (it->nr_dma == it->cap_dma) {
		size_t n = it->cap_dma ? it->cap_dma * 2 : 16;
		struct vfio_dma *p = realloc(it->dma, n * sizeof(*p));
		if (!p)
			return -ENOMEM;
		it->dma = p;
		it->cap_dma = n;
	}
	size_t i = dma_lower_bound(it, d->iova);
	memmove(&it->dma[i + 1], &it->dma[i], (it->nr_dma - i) * sizeof(*d));
	it->dma[i] = *d;
	it->nr_dma++;
	it->dma_avail--;
	return 0;
}

static void dma_remove(struct vfio_iommu *it, size_t i)
{
	struct type1_domain *td;
	list_for_each_entry(td, &it->domains, node)
		iommu_unmap(td->domain, it->dma[i].iova, it->dma[i].size);
	free(it->dma[i].pins);
	memmove(&it->dma[i], &it->dma[i + 1], (it->nr_dma - i - 1) * sizeof(it->dma[0]));
	it->nr_dma--;
	it->dma_avail++;
}

static void dma_remove_all(struct vfio_iommu *it)
{
	while (it->nr_dma)
		dma_remove(it, it->nr_dma - 1);
}

/* ---- page sizes and IOVA ranges ---- */

static void update_pgsize(struct vfio_iommu *it)
{
	/* Without a domain only the CPU page size constrains (emulated). */
	uint64_t bm = ~((1ull << PAGE_SHIFT) - 1);
	struct type1_domain *td;
	list_for_each_entry(td, &it->domains, node)
		bm &= td->domain->pgsize_bitmap;
	it->pgsize_bitmap = bm;
}

static uint64_t min_pgsize(struct vfio_iommu *it)
{
	return it->pgsize_bitmap ? it->pgsize_bitmap & -it->pgsize_bitmap : 1ull << PAGE_SHIFT;
}

static void ranges_intersect(struct iova_range *r, unsigned *n, uint64_t start, uint64_t last)
{
	unsigned out = 0;
	for (unsigned i = 0; i < *n; i++) {
		uint64_t s = r[i].start > start ? r[i].start : start;
		uint64_t l = r[i].last < last ? r[i].last : last;
		if (s <= l)
			r[out++] = (struct iova_range){ s, l };
	}
	*n = out;
}

static int ranges_subtract(struct iova_range *r, unsigned *n, uint64_t start, uint64_t last)
{
	struct iova_range tmp[MAX_IOVA_RANGES];
	unsigned out = 0;
	for (unsigned i = 0; i < *n; i++) {
		if (r[i].last < start || r[i].start > last) {
			tmp[out++] = r[i];
			continue;
		}
		if (r[i].start < start)
			tmp[out++] = (struct iova_range){ r[i].start, start - 1 };
		if (r[i].last > last) {
			if (out == MAX_IOVA_RANGES)
				return -ENOSPC;
			tmp[out++] = (struct iova_range){ last + 1, r[i].last };
		}
		if (out > MAX_IOVA_RANGES)
			return -ENOSPC;
	}
	memcpy(r, tmp, out * sizeof(*r));
	*n = out;
	return 0;
}

/* The device whose IOMMU context a group's DMA uses. */
static struct device *group_dma_device(struct type1_group *tg)
{
	if (tg->iommu_device)
		return tg->iommu_device;
	struct device *dev;
	list_for_each_entry(dev, &tg->group->iommu_group->devices, group_node)
		if (dev->iommu)
			return dev;
	return NULL;
}

static int add_domain_ranges(struct iova_range *r, unsigned *n, struct iommu_domain *d,
			     struct type1_group *tg)
{
	if (d->geometry.force_aperture)
		ranges_intersect(r, n, d->geometry.aperture_start, d->geometry.aperture_end);
	struct device *dev;
	list_for_each_entry(dev, &tg->group->iommu_group->devices, group_node) {
		struct device *target = tg->iommu_device ? tg->iommu_device : dev;
		struct iommu_resv_region resv[8];
		int nr = iommu_get_resv_regions(target, resv, 8);
		for (int i = 0; i < nr && i < 8; i++) {
			int rc = ranges_subtract(r, n, resv[i].start,
						 resv[i].start + resv[i].length - 1);
			if (rc)
				return rc;
		}
		if (tg->iommu_device)
			break;
	}
	return 0;
}

/* The IOVA ranges with `extra` (a group about to join `extra_domain`)
 * counted in; nr 0 when no domain takes part. */
static int compute_ranges(struct vfio_iommu *it, struct iommu_domain *extra_domain,
			  struct type1_group *extra, struct iova_range *r, unsigned *n)
{
	r[0] = (struct iova_range){ 0, UINT64_MAX };
	*n = 1;
	bool any = false;
	struct type1_domain *td;
	list_for_each_entry(td, &it->domains, node) {
		struct type1_group *tg;
		list_for_each_entry(tg, &td->groups, node) {
			int rc = add_domain_ranges(r, n, td->domain, tg);
			if (rc)
				return rc;
			any = true;
		}
	}
	if (extra) {
		int rc = add_domain_ranges(r, n, extra_domain, extra);
		if (rc)
			return rc;
		any = true;
	}
	if (!any)
		*n = 0;
	else if (*n == 0)
		return -EINVAL; /* nothing usable left */
	return 0;
}

static bool range_valid(const struct iova_range *r, unsigned n, uint64_t start, uint64_t last)
{
	if (!n)
		return true;
	for (unsigned i = 0; i < n; i++)
		if (start >= r[i].start && last <= r[i].last)
			return true;
	return false;
}

/* Does every existing mapping fit in the candidate ranges? */
static bool mappings_fit(struct vfio_iommu *it, const struct iova_range *r, unsigned n)
{
	for (size_t i = 0; i < it->nr_dma; i++)
		if (!range_valid(r, n, it->dma[i].iova, it->dma[i].iova + it->dma[i].size - 1))
			return false;
	return true;
}

static void refresh_ranges(struct vfio_iommu *it)
{
	if (compute_ranges(it, NULL, NULL, it->iova, &it->nr_iova))
		it->nr_iova = 0;
}

/* ---- open / release ---- */

struct vfio_iommu *vfio_iommu_type1_open(struct uiommu_host *h, unsigned long type, int *err)
{
	if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU) {
		*err = -EINVAL;
		return NULL;
	}
	struct vfio_iommu *it = calloc(1, sizeof(*it));
	if (!it) {
		*err = -ENOMEM;
		return NULL;
	}
	it->h = h;
	it->v2 = type == VFIO_TYPE1v2_IOMMU;
	pthread_mutex_init(&it->lock, NULL);
	list_init(&it->domains);
	list_init(&it->emulated);
	it->dma_avail = DMA_ENTRY_LIMIT;
	update_pgsize(it);
	return it;
}

void vfio_iommu_type1_release(struct vfio_iommu *it)
{
	if (!it)
		return;
	/* Groups left by now are detached by the container first; this only
	 * frees what remains. */
	struct type1_group *tg, *tt;
	list_for_each_entry_safe(tg, tt, &it->emulated, node) {
		list_del(&tg->node);
		free(tg);
	}
	dma_remove_all(it);
	struct type1_domain *td, *dt;
	list_for_each_entry_safe(td, dt, &it->domains, node) {
		list_del(&td->node);
		iommu_domain_free(td->domain);
		free(td);
	}
	free(it->dma);
	pthread_mutex_destroy(&it->lock);
	free(it);
}

bool vfio_iommu_type1_cache_coherent(struct vfio_iommu *it)
{
	(void)it;
	return true;
}

/* ---- attach / detach ---- */

/* Patch 8: the common iommu_device of an mdev group, NULL if any mdev
 * has none or they differ. */
static struct device *mdev_group_iommu_device(struct iommu_group *ig)
{
	struct device *common = NULL, *dev;
	list_for_each_entry(dev, &ig->devices, group_node) {
		struct device *d = mdev_get_iommu_device(dev);
		if (!d || (common && common != d))
			return NULL;
		common = d;
	}
	return common;
}

static struct type1_group *find_group(struct vfio_iommu *it, struct vfio_group *g,
				      struct type1_domain **in)
{
	struct type1_group *tg;
	list_for_each_entry(tg, &it->emulated, node)
		if (tg->group == g) {
			*in = NULL;
			return tg;
		}
	struct type1_domain *td;
	list_for_each_entry(td, &it->domains, node)
		list_for_each_entry(tg, &td->groups, node)
			if (tg->group == g) {
				*in = td;
				return tg;
			}
	return NULL;
}

static int domain_attach(struct iommu_domain *d, struct type1_group *tg)
{
	if (!tg->iommu_device)
		return iommu_attach_group_owned(d, tg->group->iommu_group);
	if (tg->aux)
		return iommu_aux_attach_device(d, tg->iommu_device);
	return iommu_attach_device(d, tg->iommu_device);
}

static void domain_detach(struct iommu_domain *d, struct type1_group *tg)
{
	if (!tg->iommu_device)
		iommu_detach_group(d, tg->group->iommu_group);
	else if (tg->aux)
		iommu_aux_detach_device(d, tg->iommu_device);
	else
		iommu_detach_device(d, tg->iommu_device);
}

static void mdevs_set_domain(struct type1_group *tg, struct iommu_domain *d)
{
	struct device *dev;
	list_for_each_entry(dev, &tg->group->iommu_group->devices, group_node)
		if (dev_is_mdev(dev))
			mdev_set_iommu_domain(dev, d);
}

static int replay(struct vfio_iommu *it, struct iommu_domain *d)
{
	for (size_t i = 0; i < it->nr_dma; i++) {
		struct vfio_dma *dma = &it->dma[i];
		int rc = iommu_map(d, dma->iova, dma->vaddr, dma->size, dma->prot);
		if (rc) {
			for (size_t j = 0; j < i; j++)
				iommu_unmap(d, it->dma[j].iova, it->dma[j].size);
			return rc;
		}
	}
	return 0;
}

/* Puts the group in a domain of the container, an existing one if it
 * can; returns that domain, or NULL with *err. */
static struct iommu_domain *attach_to_domain(struct vfio_iommu *it, struct type1_group *tg,
					     int *err)
{
	struct device *dev = group_dma_device(tg);
	if (!dev) {
		*err = -ENODEV;
		return NULL;
	}
	int rc;
	struct iommu_domain *nd = iommu_paging_domain_alloc_flags(dev, 0, &rc);
	if (!nd) {
		*err = rc ? rc : -ENOMEM;
		return NULL;
	}
	struct iova_range r[MAX_IOVA_RANGES];
	unsigned n;
	rc = compute_ranges(it, nd, tg, r, &n);
	if (!rc && !mappings_fit(it, r, n))
		rc = -EINVAL; /* a mapping would sit on this device's reserved IOVA */
	if (!rc)
		rc = domain_attach(nd, tg);
	if (rc)
		goto fail_free;

	/* Prefer a domain the container already has: one set of page
	 * tables, and for aux users one PASID on the device. */
	struct type1_domain *td;
	list_for_each_entry(td, &it->domains, node) {
		if (td->domain->owner != nd->owner)
			continue;
		domain_detach(nd, tg);
		if (!domain_attach(td->domain, tg)) {
			iommu_domain_free(nd);
			list_add_tail(&tg->node, &td->groups);
			return td->domain;
		}
		rc = domain_attach(nd, tg);
		if (rc)
			goto fail_free;
	}

	td = calloc(1, sizeof(*td));
	rc = td ? replay(it, nd) : -ENOMEM;
	if (rc) {
		domain_detach(nd, tg);
		free(td);
		goto fail_free;
	}
	td->domain = nd;
	list_init(&td->groups);
	list_add_tail(&tg->node, &td->groups);
	list_add_tail(&td->node, &it->domains);
	return nd;
fail_free:
	iommu_domain_free(nd);
	*err = rc;
	return NULL;
}

int vfio_iommu_type1_attach_group(struct vfio_iommu *it, struct vfio_group *g)
{
	pthread_mutex_lock(&it->lock);
	struct type1_domain *in;
	int rc = -EINVAL;
	if (find_group(it, g, &in))
		goto out;
	rc = -ENOMEM;
	struct type1_group *tg = calloc(1, sizeof(*tg));
	if (!tg)
		goto out;
	tg->group = g;
	if (g->mdev_group) {
		tg->iommu_device = mdev_group_iommu_device(g->iommu_group);
		if (!tg->iommu_device) {
			/* Vendor-defined isolation: the external domain. */
			list_add_tail(&tg->node, &it->emulated);
			rc = 0;
			goto out;
		}
		tg->aux = iommu_dev_feature_enabled(tg->iommu_device, IOMMU_DEV_FEAT_AUX);
	}
	struct iommu_domain *d = attach_to_domain(it, tg, &rc);
	if (!d) {
		free(tg);
		goto out;
	}
	if (g->mdev_group)
		mdevs_set_domain(tg, d);
	rc = 0;
	update_pgsize(it);
	refresh_ranges(it);
out:
	pthread_mutex_unlock(&it->lock);
	return rc;
}

void vfio_iommu_type1_detach_group(struct vfio_iommu *it, struct vfio_group *g)
{
	pthread_mutex_lock(&it->lock);
	struct type1_domain *td;
	struct type1_group *tg = find_group(it, g, &td);
	if (!tg)
		goto out;
	list_del(&tg->node);
	if (td) {
		if (g->mdev_group)
			mdevs_set_domain(tg, NULL);
		domain_detach(td->domain, tg);
		/* Group ownership is what grants the domain; with its last
		 * group gone the domain goes too. */
		if (list_empty(&td->groups)) {
			list_del(&td->node);
			iommu_domain_free(td->domain);
			free(td);
		}
	}
	free(tg);
	/* No group left: the address space is gone with them. */
	if (list_empty(&it->domains) && list_empty(&it->emulated))
		dma_remove_all(it);
	update_pgsize(it);
	refresh_ranges(it);
out:
	pthread_mutex_unlock(&it->lock);
}

/* ---- MAP_DMA / UNMAP_DMA ---- */

static long do_map(struct vfio_iommu *it, struct vfio_iommu_type1_dma_map *map)
{
	int prot = 0;
	if (map->flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= IOMMU_READ;
	if (map->flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= IOMMU_WRITE;
	uint64_t mask = min_pgsize(it) - 1;
	uint64_t iova = map->iova, size = map->size, vaddr = map->vaddr;
	if (!prot || !size || ((size | iova | vaddr) & mask))
		return -EINVAL;
	if (iova + size - 1 < iova || vaddr + size - 1 < vaddr)
		return -EINVAL;
	if (dma_find(it, iova, iova + size - 1) != it->nr_dma)
		return -EEXIST;
	if (!it->dma_avail)
		return -ENOSPC;
	if (!range_valid(it->iova, it->nr_iova, iova, iova + size - 1))
		return -EINVAL;
	/* The kernel pins the pages here (FOLL_WRITE for a writable map):
	 * memory that is not there is -EFAULT. */
	if (user_range_ok(vaddr, size, prot & IOMMU_WRITE))
		return -EFAULT;

	struct type1_domain *td;
	int rc = 0;
	list_for_each_entry(td, &it->domains, node) {
		rc = iommu_map(td->domain, iova, vaddr, size, prot);
		if (rc)
			break;
	}
	if (!rc) {
		struct vfio_dma d = { .iova = iova, .size = size, .vaddr = vaddr, .prot = prot };
		rc = dma_insert(it, &d);
	}
	if (rc) {
		struct type1_domain *undo;
		list_for_each_entry(undo, &it->domains, node) {
			if (undo == td)
				break;
			iommu_unmap(undo->domain, iova, size);
		}
	}
	return rc;
}

/* Tells every device of the emulated groups to drop its pins in a range
 * (the DMA_UNMAP notifier); called without it->lock. */
static void notify_unmap(struct vfio_iommu *it, uint64_t iova, uint64_t size)
{
	pthread_mutex_lock(&it->lock);
	/* Snapshot the devices: groups cannot leave while the container's
	 * ioctl runs (the container lock is held by our caller). */
	struct vfio_device *devs[64];
	unsigned n = 0;
	struct type1_group *tg;
	list_for_each_entry(tg, &it->emulated, node) {
		struct vfio_device *vd;
		list_for_each_entry(vd, &tg->group->devices, group_node)
			if (vd->open_count && vd->ops->dma_unmap && n < 64)
				devs[n++] = vd;
	}
	pthread_mutex_unlock(&it->lock);
	for (unsigned i = 0; i < n; i++)
		devs[i]->ops->dma_unmap(devs[i], iova, size);
}

static long do_unmap(struct vfio_iommu *it, struct vfio_iommu_type1_dma_unmap *um)
{
	uint64_t iova = um->iova, size = um->size, last;
	if (um->flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		if (iova || size)
			return -EINVAL;
		last = UINT64_MAX;
	} else {
		uint64_t mask = min_pgsize(it) - 1;
		if (!size || ((iova | size) & mask))
			return -EINVAL;
		last = iova + size - 1;
		if (last < iova)
			return -EINVAL;
		if (it->v2) {
			/* v2 never splits a mapping: the range must begin and
			 * end on mapping boundaries where it meets them. */
			size_t i = dma_find(it, iova, iova);
			if (i != it->nr_dma && it->dma[i].iova != iova)
				return -EINVAL;
			i = dma_find(it, last, last);
			if (i != it->nr_dma && it->dma[i].iova + it->dma[i].size - 1 != last)
				return -EINVAL;
		}
	}

	/* Pinned pages first: the owners are asked to let go, and if they
	 * do not, nothing is unmapped. */
	for (int tries = 0;; tries++) {
		size_t i = dma_find(it, iova, last);
		bool pinned = false;
		uint64_t ps = 0, pl = 0;
		for (; i < it->nr_dma && it->dma[i].iova <= last; i++)
			if (it->dma[i].nr_pinned) {
				if (!pinned)
					ps = it->dma[i].iova;
				pl = it->dma[i].iova + it->dma[i].size - 1;
				pinned = true;
			}
		if (!pinned)
			break;
		if (tries == UNPIN_RETRIES)
			return -EBUSY;
		pthread_mutex_unlock(&it->lock);
		notify_unmap(it, ps, pl - ps + 1);
		pthread_mutex_lock(&it->lock);
	}

	uint64_t unmapped = 0;
	size_t i;
	while ((i = dma_find(it, iova, last)) != it->nr_dma) {
		unmapped += it->dma[i].size;
		dma_remove(it, i);
	}
	um->size = unmapped;
	return 0;
}

/* ---- GET_INFO ---- */

struct capbuf {
	uint8_t buf[sizeof(struct vfio_iommu_type1_info_cap_iova_range) +
		    MAX_IOVA_RANGES * sizeof(struct vfio_iova_range) +
		    sizeof(struct vfio_iommu_type1_info_dma_avail)];
	size_t len;
	struct vfio_info_cap_header *last;
};

/* Appends a capability; `next` offsets are from the start of the info
 * struct, which the caps follow directly. */
static void *cap_add(struct capbuf *c, uint16_t id, uint16_t version, size_t size)
{
	struct vfio_info_cap_header *hdr = (void *)(c->buf + c->len);
	memset(hdr, 0, size);
	hdr->id = id;
	hdr->version = version;
	if (c->last)
		c->last->next = (uint32_t)(sizeof(struct vfio_iommu_type1_info) + c->len);
	c->last = hdr;
	c->len += size;
	return hdr;
}

static long get_info(struct vfio_iommu *it, unsigned long arg)
{
	struct vfio_iommu_type1_info info;
	size_t minsz = vfio_offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = it->pgsize_bitmap;
	size_t capsz = vfio_offsetofend(struct vfio_iommu_type1_info, cap_offset);
	if (info.argsz >= capsz) {
		minsz = capsz;
		info.cap_offset = 0;
		struct capbuf caps = { .len = 0 };
		if (it->nr_iova) {
			struct vfio_iommu_type1_info_cap_iova_range *cr = cap_add(
				&caps, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1,
				sizeof(*cr) + it->nr_iova * sizeof(struct vfio_iova_range));
			cr->nr_iovas = it->nr_iova;
			for (unsigned i = 0; i < it->nr_iova; i++) {
				cr->iova_ranges[i].start = it->iova[i].start;
				cr->iova_ranges[i].end = it->iova[i].last;
			}
		}
		struct vfio_iommu_type1_info_dma_avail *da =
			cap_add(&caps, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 1, sizeof(*da));
		da->avail = it->dma_avail;

		info.flags |= VFIO_IOMMU_INFO_CAPS;
		if (info.argsz < sizeof(info) + caps.len) {
			info.argsz = (uint32_t)(sizeof(info) + caps.len);
		} else {
			if (copy_to_user(arg + sizeof(info), caps.buf, caps.len))
				return -EFAULT;
			info.cap_offset = sizeof(info);
		}
	}
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

long vfio_iommu_type1_ioctl(struct vfio_iommu *it, unsigned long cmd, unsigned long arg)
{
	long rc;
	switch (cmd) {
	case VFIO_IOMMU_GET_INFO:
		pthread_mutex_lock(&it->lock);
		rc = get_info(it, arg);
		pthread_mutex_unlock(&it->lock);
		return rc;
	case VFIO_IOMMU_MAP_DMA: {
		struct vfio_iommu_type1_dma_map map;
		size_t minsz = vfio_offsetofend(struct vfio_iommu_type1_dma_map, size);
		if (copy_from_user(&map, arg, minsz))
			return -EFAULT;
		/* FLAG_VADDR goes with VFIO_UPDATE_VADDR, not offered. */
		if (map.argsz < minsz ||
		    map.flags & ~(uint32_t)(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
			return -EINVAL;
		pthread_mutex_lock(&it->lock);
		rc = do_map(it, &map);
		pthread_mutex_unlock(&it->lock);
		return rc;
	}
	case VFIO_IOMMU_UNMAP_DMA: {
		struct vfio_iommu_type1_dma_unmap um;
		size_t minsz = vfio_offsetofend(struct vfio_iommu_type1_dma_unmap, size);
		if (copy_from_user(&um, arg, minsz))
			return -EFAULT;
		/* No dirty tracking and no vaddr updates here. */
		if (um.argsz < minsz || um.flags & ~(uint32_t)VFIO_DMA_UNMAP_FLAG_ALL)
			return -EINVAL;
		pthread_mutex_lock(&it->lock);
		rc = do_unmap(it, &um);
		pthread_mutex_unlock(&it->lock);
		if (rc)
			return rc;
		return copy_to_user(arg, &um, minsz) ? -EFAULT : 0;
	}
	default:
		return -ENOTTY;
	}
}

/* ---- pinning for emulated devices (M-7) ---- */

static struct vfio_iommu *iommu_of(struct vfio_device *vd)
{
	struct vfio_container *c = vd && vd->group ? vd->group->container : NULL;
	return c ? c->iommu : NULL;
}

int vfio_pin_pages(struct vfio_device *vd, uint64_t iova, int npage, int prot, uint64_t *hva)
{
	struct vfio_iommu *it = iommu_of(vd);
	if (!it || !hva || npage <= 0 || (iova & ((1ull << PAGE_SHIFT) - 1)))
		return -EINVAL;
	if (npage > VFIO_PIN_PAGES_MAX_ENTRIES)
		return -E2BIG;
	/* Only a device that can be told of unmaps may hold pins. */
	if (!vd->ops->dma_unmap)
		return -EINVAL;
	pthread_mutex_lock(&it->lock);
	int rc = npage;
	int done;
	for (done = 0; done < npage; done++) {
		uint64_t a = iova + ((uint64_t)done << PAGE_SHIFT);
		size_t i = dma_find(it, a, a);
		if (i == it->nr_dma) {
			rc = -EINVAL;
			break;
		}
		struct vfio_dma *d = &it->dma[i];
		if ((prot & d->prot) != prot) {
			rc = -EPERM;
			break;
		}
		if (!d->pins) {
			d->pins = calloc(d->size >> PAGE_SHIFT, sizeof(*d->pins));
			if (!d->pins) {
				rc = -ENOMEM;
				break;
			}
		}
		uint64_t pg = (a - d->iova) >> PAGE_SHIFT;
		if (d->pins[pg]++ == 0)
			d->nr_pinned++;
		hva[done] = d->vaddr + (a - d->iova);
	}
	if (rc < 0) {
		for (int j = 0; j < done; j++) {
			uint64_t a = iova + ((uint64_t)j << PAGE_SHIFT);
			struct vfio_dma *d = &it->dma[dma_find(it, a, a)];
			uint64_t pg = (a - d->iova) >> PAGE_SHIFT;
			if (--d->pins[pg] == 0)
				d->nr_pinned--;
		}
	}
	pthread_mutex_unlock(&it->lock);
	return rc;
}

void vfio_unpin_pages(struct vfio_device *vd, uint64_t iova, int npage)
{
	struct vfio_iommu *it = iommu_of(vd);
	if (!it || npage <= 0)
		return;
	pthread_mutex_lock(&it->lock);
	for (int j = 0; j < npage; j++) {
		uint64_t a = iova + ((uint64_t)j << PAGE_SHIFT);
		size_t i = dma_find(it, a, a);
		if (i == it->nr_dma)
			continue;
		struct vfio_dma *d = &it->dma[i];
		uint64_t pg = (a - d->iova) >> PAGE_SHIFT;
		if (d->pins && d->pins[pg] && --d->pins[pg] == 0)
			d->nr_pinned--;
	}
	pthread_mutex_unlock(&it->lock);
}
