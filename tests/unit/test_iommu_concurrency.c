/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane under concurrency (issue #7): tenants attaching their
 * own aux domains to one device at once, directly and through VFIO
 * containers setting their IOMMU at once; whole container lifecycles in
 * parallel; and a fault delivered while its domain is detached and freed.
 * Run under AddressSanitizer (make test) and ThreadSanitizer (make tsan).
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/vfio.h>

#include "harness.h"
#include "iommu/iommu.h"
#include <uiommu/iommu.h>
#include <uiommu/mdev.h>
#include <uiommu/vfio.h>

#define A(p) ((unsigned long)(uintptr_t)(p))
#define RW (IOMMU_READ | IOMMU_WRITE)

/* Two PASID endpoints without ATS: every failed translation is a
 * recorded fault. */
static const char *const pasid_topo =
	"{\"devices\":["
	"{\"bdf\":\"00:01.0\",\"type\":\"rc_endpoint\",\"name\":\"x\",\"pasid_bits\":20},"
	"{\"bdf\":\"00:02.0\",\"type\":\"rc_endpoint\",\"name\":\"y\",\"pasid_bits\":20}]}";

static int aux_id(struct iommu_domain *dom)
{
	int id = -1;
	int rc = iommu_domain_get_attr(dom, DOMAIN_ATTR_AUXD_ID, &id);
	return rc ? rc : id;
}

/* ---- tenants attaching aux domains to one device ---- */

#define TENANTS 4
#define AUX_ROUNDS 5000

struct tenant {
	struct device *dev;
	unsigned id;
	uint8_t *page;
	int bad;
};

static void *aux_tenant(void *arg)
{
	struct tenant *t = arg;
	struct iommu_domain *d = iommu_paging_domain_alloc(t->dev);
	if (!d || iommu_map(d, 0x100000, (uint64_t)(uintptr_t)t->page, 4096, RW)) {
		t->bad++;
		return NULL;
	}
	for (int r = 0; r < AUX_ROUNDS; r++) {
		if (iommu_attach_device_aux(d, t->dev)) {
			t->bad++;
			continue;
		}
		int p = aux_id(d);
		/* Our PASID is ours, and the device's entry for it is ours. */
		if (p <= 0 || iommu_get_domain_for_dev_pasid(t->dev, (ioasid_t)p) != d)
			t->bad++;
		if (r % 1000 == 0) {
			t->page[0] = (uint8_t)t->id;
			uint8_t v = 0xff;
			struct pci_dma_result res;
			if (th_kdma(t->dev, (uint32_t)p, 0x100000, &v, 1, false, &res) || v != t->id)
				t->bad++;
		}
		iommu_detach_device_aux(d, t->dev);
		if (p > 0 && iommu_get_domain_for_dev_pasid(t->dev, (ioasid_t)p) == d)
			t->bad++;
	}
	iommu_unmap(d, 0x100000, 4096);
	if (iommu_domain_free(d))
		t->bad++;
	return NULL;
}

static void test_aux_attach_detach_across_tenants(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(pasid_topo, false);
	struct device *x = th_device(h, "x");
	assert_int_equal(iommu_set_dev_attr(x, IOMMU_DEV_ATTR_AUXD_ENABLE, NULL), 0);
	pthread_t th[TENANTS];
	struct tenant t[TENANTS];
	for (unsigned i = 0; i < TENANTS; i++) {
		t[i] = (struct tenant){ .dev = x, .id = i + 1, .page = th_alloc_page() };
		assert_int_equal(pthread_create(&th[i], NULL, aux_tenant, &t[i]), 0);
	}
	for (unsigned i = 0; i < TENANTS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(t[i].bad, 0);
		free(t[i].page);
	}
	/* Nothing leaked: no aux attachment, no PASID in use, and the device
	 * can leave aux mode. */
	assert_int_equal(x->iommu->nr_aux, 0);
	assert_true(xa_empty(&x->iommu->pasids));
	assert_int_equal(iommu_set_dev_attr(x, IOMMU_DEV_ATTR_AUXD_DISABLE, NULL), 0);
	assert_int_equal(iommu_alloc_global_pasid(x), 1);
	iommu_free_global_pasid(x, 1);
	uiommu_host_free(h);
}

/* ---- the same through VFIO: containers setting their IOMMU at once ---- */

#define VFIO_ROUNDS 150

struct vfio_tenant {
	struct uiommu_host *h;
	const char *uuid;
	unsigned group;
	int bad;
};

static void *vfio_tenant(void *arg)
{
	struct vfio_tenant *t = arg;
	struct uiommu_host *h = t->h;
	for (int r = 0; r < VFIO_ROUNDS; r++) {
		int cfd = vfio_open_container(h);
		int gfd = vfio_open_group(h, t->group);
		if (cfd < 0 || gfd < 0) {
			t->bad++;
			break;
		}
		if (vfio_ioctl(h, gfd, VFIO_GROUP_SET_CONTAINER, A(&cfd)) ||
		    vfio_ioctl(h, cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
			t->bad++;
		vfio_close(h, gfd);
		vfio_close(h, cfd);
	}
	return NULL;
}

static void test_vfio_set_iommu_across_containers(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	static const char *const uuids[TENANTS] = {
		"11111111-0000-0000-0000-000000000001", "11111111-0000-0000-0000-000000000002",
		"11111111-0000-0000-0000-000000000003", "11111111-0000-0000-0000-000000000004",
	};
	struct vfio_tenant t[TENANTS];
	pthread_t th[TENANTS];
	for (unsigned i = 0; i < TENANTS; i++) {
		struct device *m;
		assert_int_equal(uiommu_mdev_create(h, "dsa-1dwq-v1", uuids[i], &m), 0);
		t[i] = (struct vfio_tenant){ .h = h, .uuid = uuids[i],
					     .group = iommu_group_id(iommu_group_get(m)) };
	}
	for (unsigned i = 0; i < TENANTS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, vfio_tenant, &t[i]), 0);
	for (unsigned i = 0; i < TENANTS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(t[i].bad, 0);
	}
	struct device *dsa = uiommu_device_find(h, "dsa0");
	assert_int_equal(dsa->iommu->nr_aux, 0);
	assert_true(xa_empty(&dsa->iommu->pasids));
	for (unsigned i = 0; i < TENANTS; i++)
		assert_int_equal(uiommu_mdev_remove(h, uuids[i]), 0);
	uiommu_host_free(h);
}

/* ---- whole container lifecycles in parallel, PCI groups too ---- */

struct lifecycle {
	struct uiommu_host *h;
	const char *dev;
	uint8_t *page;
	int bad;
};

static void *container_life(void *arg)
{
	struct lifecycle *l = arg;
	struct uiommu_host *h = l->h;
	unsigned group = iommu_group_id(iommu_group_get(uiommu_device_find(h, l->dev)));
	for (int r = 0; r < VFIO_ROUNDS; r++) {
		int cfd = vfio_open_container(h), gfd = vfio_open_group(h, group);
		if (cfd < 0 || gfd < 0) {
			l->bad++;
			break;
		}
		struct vfio_iommu_type1_dma_map m = {
			.argsz = sizeof(m),
			.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
			.vaddr = (uint64_t)(uintptr_t)l->page, .iova = 0x100000, .size = 4096
		};
		struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = 0x100000,
							.size = 4096 };
		if (vfio_ioctl(h, gfd, VFIO_GROUP_SET_CONTAINER, A(&cfd)) ||
		    vfio_ioctl(h, cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) ||
		    vfio_ioctl(h, cfd, VFIO_IOMMU_MAP_DMA, A(&m)) ||
		    vfio_ioctl(h, cfd, VFIO_IOMMU_UNMAP_DMA, A(&u)) || u.size != 4096 ||
		    vfio_ioctl(h, gfd, VFIO_GROUP_UNSET_CONTAINER, 0))
			l->bad++;
		vfio_close(h, gfd);
		vfio_close(h, cfd);
	}
	return NULL;
}

static void test_container_lifecycles_in_parallel(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	static const char *const devs[] = { "dmatest0", "dmatest1", "nic0" };
	struct lifecycle l[3];
	pthread_t th[3];
	for (unsigned i = 0; i < 3; i++) {
		l[i] = (struct lifecycle){ .h = h, .dev = devs[i], .page = th_alloc_page() };
		assert_int_equal(pthread_create(&th[i], NULL, container_life, &l[i]), 0);
	}
	for (unsigned i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(l[i].bad, 0);
		free(l[i].page);
		/* Back on its default domain, no owner. */
		struct device *d = uiommu_device_find(h, devs[i]);
		assert_false(iommu_group_dma_owner_claimed(iommu_group_get(d)));
		assert_int_equal(iommu_domain_type(iommu_get_domain_for_dev(d)), IOMMU_DOMAIN_DMA);
	}
	uiommu_host_free(h);
}

/* ---- VFIO map and unmap against DMA ---- */

struct churn {
	struct device *dev;
	atomic_bool stop;
	atomic_ulong reads, bad;
	uint8_t *stable, *moving;
};

static void *dma_reader(void *arg)
{
	struct churn *c = arg;
	while (!atomic_load(&c->stop)) {
		uint8_t v[2] = { 0, 0 };
		struct pci_dma_result r;
		if (th_kdma(c->dev, PCI_NO_PASID, 0x100000, &v[0], 1, false, &r) || v[0] != 0x5a)
			atomic_fetch_add(&c->bad, 1);
		/* Mapped or not, never anything but its own page. */
		if (!th_kdma(c->dev, PCI_NO_PASID, 0x200000, &v[1], 1, false, &r) && v[1] != 0xa5)
			atomic_fetch_add(&c->bad, 1);
		atomic_fetch_add(&c->reads, 1);
	}
	return NULL;
}

static void test_vfio_map_unmap_against_dma(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct churn c = { .dev = th_device(h, "dmatest0") };
	c.stable = th_alloc_page();
	c.moving = th_alloc_page();
	memset(c.stable, 0x5a, 4096);
	memset(c.moving, 0xa5, 4096);
	int cfd = vfio_open_container(h);
	int gfd = vfio_open_group(h, iommu_group_id(iommu_group_get(c.dev)));
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_SET_CONTAINER, A(&cfd)), 0);
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = VFIO_DMA_MAP_FLAG_READ,
		.vaddr = (uint64_t)(uintptr_t)c.stable, .iova = 0x100000, .size = 4096
	};
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_IOMMU_MAP_DMA, A(&m)), 0);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, dma_reader, &c), 0);
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = 0x200000,
						.size = 4096 };
	m.vaddr = (uint64_t)(uintptr_t)c.moving;
	m.iova = 0x200000;
	/* Until both sides have done a fair share, whatever the scheduler. */
	for (int i = 0; i < 400 || atomic_load(&c.reads) < 200; i++) {
		assert_int_equal(vfio_ioctl(h, cfd, VFIO_IOMMU_MAP_DMA, A(&m)), 0);
		assert_int_equal(vfio_ioctl(h, cfd, VFIO_IOMMU_UNMAP_DMA, A(&u)), 0);
	}
	atomic_store(&c.stop, true);
	pthread_join(th, NULL);
	assert_int_equal(atomic_load(&c.bad), 0);
	assert_true(atomic_load(&c.reads) > 0);
	assert_int_equal(th_dma_faults(c.dev, PCI_NO_PASID, 0x200000), VTD_FR_SM_SS_NOT_PRESENT);
	vfio_close(h, gfd);
	vfio_close(h, cfd);
	free(c.stable);
	free(c.moving);
	uiommu_host_free(h);
}

/* ---- mdevs come and go while devices are looked up and faults land ---- */

struct lookups {
	struct uiommu_host *h;
	atomic_bool stop;
	atomic_ulong found;
};

static void *look_up(void *arg)
{
	struct lookups *l = arg;
	struct device *d = uiommu_device_find(l->h, "dmatest0");
	while (!atomic_load(&l->stop)) {
		if (uiommu_device_find(l->h, "dsa0") && uiommu_device_find(l->h, "00:02.0"))
			atomic_fetch_add(&l->found, 1);
		/* A fault, reported through the driver's fault event. */
		th_dma_faults(d, PCI_NO_PASID, 0x900000);
	}
	return NULL;
}

static void test_mdevs_against_lookups_and_faults(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	th_device(h, "dmatest0");
	struct lookups l = { .h = h };
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, look_up, &l), 0);
	for (int i = 0; i < 100 || atomic_load(&l.found) < 50; i++) {
		char uuid[40];
		snprintf(uuid, sizeof(uuid), "22222222-0000-4000-8000-%012d", i % 1000000);
		struct device *m;
		assert_int_equal(uiommu_mdev_create(h, "swcopy-v1", uuid, &m), 0);
		assert_ptr_equal(uiommu_device_find(h, uuid), m);
		assert_int_equal(uiommu_mdev_remove(h, uuid), 0);
	}
	atomic_store(&l.stop, true);
	pthread_join(th, NULL);
	assert_true(atomic_load(&l.found) > 0);
	uiommu_host_free(h);
}

/* ---- a fault delivered while its domain goes away ---- */

struct delivery {
	struct device *dev;
	ioasid_t pasid;
	sem_t in_handler, go_on;
	int calls;
	uint64_t seen_pgsizes;
};

static int fault_handler(struct iommu_domain *d, struct device *dev, uint64_t iova, int flags,
			 void *token)
{
	struct delivery *dl = token;
	(void)dev;
	(void)iova;
	(void)flags;
	dl->calls++;
	sem_post(&dl->in_handler);
	sem_wait(&dl->go_on);
	/* The domain is still the handler's to look at: its detach and free
	 * happened meanwhile. */
	dl->seen_pgsizes = d->pgsize_bitmap;
	return 0;
}

static void *faulting_dma(void *arg)
{
	struct delivery *dl = arg;
	uint8_t b[8];
	struct pci_dma_result r;
	th_kdma(dl->dev, dl->pasid, 0x700000, b, sizeof(b), false, &r);
	return NULL;
}

static void test_fault_delivery_during_detach(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(pasid_topo, false);
	struct device *x = th_device(h, "x");
	struct iommu_domain *d = iommu_paging_domain_alloc(x);
	uint64_t pgsizes = d->pgsize_bitmap;
	struct delivery dl = { .dev = x, .pasid = 5 };
	sem_init(&dl.in_handler, 0, 0);
	sem_init(&dl.go_on, 0, 0);
	iommu_set_fault_handler(d, fault_handler, &dl);
	assert_int_equal(iommu_attach_device_pasid(d, x, dl.pasid), 0);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, faulting_dma, &dl), 0);
	sem_wait(&dl.in_handler);
	/* The handler runs: detach and free the domain under it. */
	iommu_detach_device_pasid(d, x, dl.pasid);
	assert_null(iommu_get_domain_for_dev_pasid(x, dl.pasid));
	assert_int_equal(iommu_domain_free(d), 0);
	sem_post(&dl.go_on);
	pthread_join(th, NULL);
	assert_int_equal(dl.calls, 1);
	assert_true(dl.seen_pgsizes == pgsizes);
	sem_destroy(&dl.in_handler);
	sem_destroy(&dl.go_on);
	uiommu_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aux_attach_detach_across_tenants),
		cmocka_unit_test(test_vfio_set_iommu_across_containers),
		cmocka_unit_test(test_container_lifecycles_in_parallel),
		cmocka_unit_test(test_vfio_map_unmap_against_dma),
		cmocka_unit_test(test_mdevs_against_lookups_and_faults),
		cmocka_unit_test(test_fault_delivery_during_detach),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
