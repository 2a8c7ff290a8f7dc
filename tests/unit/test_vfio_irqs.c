/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio-pci interrupts for real clients: VFIO_DEVICE_GET_IRQ_INFO counts
 * (MSI, MSI-X from the function's capabilities), VFIO_DEVICE_SET_IRQS
 * with eventfds, the DATA_NONE/DATA_BOOL software triggers, every bad
 * argument, and device interrupts - a dmatest completion, a DSA command
 * interrupt - arriving as eventfd signals.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "cdev_utils.h"
#include "pci/pci.h"

static int irq_info(int dfd, uint32_t index, uint32_t *flags, uint32_t *count)
{
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = index };
	int rc = ioc(dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii);
	*flags = ii.flags;
	*count = ii.count;
	return rc;
}

/* SET_IRQS with `count` eventfds (NULL: DATA_NONE, or bools if given). */
static int set_irqs(int dfd, uint32_t flags, uint32_t index, uint32_t start, uint32_t count,
		    const void *data, size_t each)
{
	size_t argsz = sizeof(struct vfio_irq_set) + count * each;
	struct vfio_irq_set *s = calloc(1, argsz);
	s->argsz = (uint32_t)argsz;
	s->flags = flags;
	s->index = index;
	s->start = start;
	s->count = count;
	if (data)
		memcpy(s->data, data, count * each);
	int rc = ioc(dfd, VFIO_DEVICE_SET_IRQS, s);
	free(s);
	return rc;
}

#define TRIG VFIO_IRQ_SET_ACTION_TRIGGER
#define EFD (TRIG | VFIO_IRQ_SET_DATA_EVENTFD)
#define NONE (TRIG | VFIO_IRQ_SET_DATA_NONE)
#define BOOL (TRIG | VFIO_IRQ_SET_DATA_BOOL)

static int set_efds(int dfd, uint32_t index, uint32_t start, uint32_t n, const int *fds)
{
	return set_irqs(dfd, EFD, index, start, n, fds, sizeof(int32_t));
}

/* What an eventfd counted since last read; 0 if nothing. */
static uint64_t count_of(int efd)
{
	uint64_t v = 0;
	return read(efd, &v, sizeof(v)) == sizeof(v) ? v : 0;
}

static int open_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* A dmatest operation asking for its completion interrupt. */
static void dt_irq_op(int dfd)
{
	dt_w(dfd, DMATEST_REG_LEN, (uint64_t)(DMATEST_CTRL_GO | DMATEST_CTRL_INT) << 32, 8);
}

static void test_irq_info(void **s)
{
	(void)s;
	struct ifd t;
	ifd_open(&t);
	int dfd = cdev_open(t.h, "dmatest0");
	assert_int_equal(cdev_bind(dfd, t.fd, NULL), 0);
	uint32_t flags, count;
	assert_int_equal(irq_info(dfd, VFIO_PCI_INTX_IRQ_INDEX, &flags, &count), 0);
	assert_int_equal(count, 0);
	assert_int_equal(irq_info(dfd, VFIO_PCI_MSI_IRQ_INDEX, &flags, &count), 0);
	assert_int_equal(count, 1u << DMATEST_MSI_VECTORS_LOG2);
	assert_true(flags & VFIO_IRQ_INFO_EVENTFD);
	assert_true(flags & VFIO_IRQ_INFO_NORESIZE);
	assert_int_equal(irq_info(dfd, VFIO_PCI_MSIX_IRQ_INDEX, &flags, &count), 0);
	assert_int_equal(count, DMATEST_MSIX_VECTORS);
	assert_int_equal(irq_info(dfd, VFIO_PCI_ERR_IRQ_INDEX, &flags, &count), 0);
	assert_int_equal(count, 1); /* a PCIe function */
	assert_int_equal(irq_info(dfd, VFIO_PCI_REQ_IRQ_INDEX, &flags, &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(irq_info(dfd, VFIO_PCI_NUM_IRQS, &flags, &count), -EINVAL);
	struct vfio_irq_info ii = { .argsz = 8 };
	assert_int_equal(ioc(dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii), -EINVAL);
	assert_int_equal(ioc(dfd, VFIO_DEVICE_GET_IRQ_INFO, (void *)8), -EFAULT);
	assert_int_equal(uiommu_close(dfd), 0);
	ifd_close(&t);
}

static void test_set_irqs_args(void **s)
{
	(void)s;
	struct ifd t;
	ifd_open(&t);
	int dfd = cdev_open(t.h, "dmatest0");
	assert_int_equal(cdev_bind(dfd, t.fd, NULL), 0);
	int efd = eventfd(0, EFD_NONBLOCK), pipefd[2];
	assert_int_equal(pipe(pipefd), 0);
	const unsigned X = VFIO_PCI_MSIX_IRQ_INDEX;
	struct vfio_irq_set hdr = { .argsz = 8, .flags = NONE, .index = X };
	assert_int_equal(ioc(dfd, VFIO_DEVICE_SET_IRQS, &hdr), -EINVAL);
	assert_int_equal(ioc(dfd, VFIO_DEVICE_SET_IRQS, (void *)8), -EFAULT);
	/* Index, range, flags, data type. */
	assert_int_equal(set_efds(dfd, VFIO_PCI_NUM_IRQS, 0, 1, &efd), -EINVAL);
	assert_int_equal(set_efds(dfd, X, 4, 1, &efd), -EINVAL);
	assert_int_equal(set_efds(dfd, X, 3, 2, (int[]){ efd, efd }), -EINVAL);
	assert_int_equal(set_efds(dfd, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &efd), -EINVAL);
	assert_int_equal(set_irqs(dfd, TRIG | 1u << 6, X, 0, 1, &efd, 4), -EINVAL);
	assert_int_equal(set_irqs(dfd, EFD | VFIO_IRQ_SET_DATA_BOOL, X, 0, 1, &efd, 4), -EINVAL);
	assert_int_equal(set_irqs(dfd, VFIO_IRQ_SET_ACTION_MASK | VFIO_IRQ_SET_DATA_NONE, X, 0, 1,
				  NULL, 0),
			 -EINVAL);
	/* The data must be all there. */
	hdr = (struct vfio_irq_set){ .argsz = sizeof(hdr) + 2, .flags = EFD, .index = X,
				     .count = 1 };
	assert_int_equal(ioc(dfd, VFIO_DEVICE_SET_IRQS, &hdr), -EINVAL);
	/* Triggering what is not enabled. */
	assert_int_equal(set_irqs(dfd, NONE, X, 0, 1, NULL, 0), -EINVAL);
	/* Not an eventfd: no descriptor, a pipe, a uiommu file. */
	assert_int_equal(set_efds(dfd, X, 0, 1, (int[]){ 1000 }), -EBADF);
	assert_int_equal(set_efds(dfd, X, 0, 1, &pipefd[0]), -EINVAL);
	assert_int_equal(set_efds(dfd, X, 0, 1, &t.fd), -EINVAL);
	/* None of it enabled anything. */
	struct device *d = uiommu_device_find(t.h, "dmatest0");
	assert_null(to_pci_dev(d)->msi);
	/* MSI-X on: MSI cannot be had meanwhile. */
	assert_int_equal(set_efds(dfd, X, 0, 1, &efd), 0);
	assert_int_equal(set_efds(dfd, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &efd), -EINVAL);
	assert_int_equal(set_efds(dfd, X, 0, 2, (int[]){ efd, pipefd[1] }), -EINVAL);
	assert_int_equal(set_irqs(dfd, NONE, X, 0, 0, NULL, 0), 0);
	assert_null(to_pci_dev(d)->msi);
	close(efd);
	close(pipefd[0]);
	close(pipefd[1]);
	assert_int_equal(uiommu_close(dfd), 0);
	ifd_close(&t);
}

static void test_device_interrupts(void **s)
{
	(void)s;
	struct ifd t;
	ifd_open(&t);
	int before = open_fds();
	uint32_t ioas;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	int dfd = cdev_open_bound(&t, "dmatest0", ioas, NULL);
	dt_bus_master(dfd);
	for (int idx = VFIO_PCI_MSI_IRQ_INDEX; idx <= VFIO_PCI_MSIX_IRQ_INDEX; idx++) {
		int e[3];
		for (int i = 0; i < 3; i++)
			e[i] = eventfd(0, EFD_NONBLOCK);
		/* Three vectors (MSI enables four underneath). */
		assert_int_equal(set_efds(dfd, (uint32_t)idx, 0, 3, e), 0);
		/* The device's completion is vector 0's eventfd. */
		dt_irq_op(dfd);
		assert_int_equal(count_of(e[0]), 1);
		assert_int_equal(count_of(e[1]), 0);
		/* Software triggers: DATA_NONE, and DATA_BOOL per vector. */
		assert_int_equal(set_irqs(dfd, NONE, (uint32_t)idx, 1, 1, NULL, 0), 0);
		assert_int_equal(count_of(e[1]), 1);
		uint8_t b[3] = { 0, 1, 1 };
		assert_int_equal(set_irqs(dfd, BOOL, (uint32_t)idx, 0, 3, b, 1), 0);
		assert_int_equal(count_of(e[0]), 0);
		assert_int_equal(count_of(e[1]), 1);
		assert_int_equal(count_of(e[2]), 1);
		/* Vector 0 without an eventfd: the interrupt goes nowhere. */
		assert_int_equal(set_efds(dfd, (uint32_t)idx, 0, 1, (int[]){ -1 }), 0);
		dt_irq_op(dfd);
		assert_int_equal(count_of(e[0]), 0);
		assert_int_equal(set_efds(dfd, (uint32_t)idx, 0, 1, &e[2]), 0);
		dt_irq_op(dfd);
		assert_int_equal(count_of(e[2]), 1);
		/* Disabled: nothing at all. */
		assert_int_equal(set_irqs(dfd, NONE, (uint32_t)idx, 0, 0, NULL, 0), 0);
		dt_irq_op(dfd);
		assert_int_equal(count_of(e[2]), 0);
		for (int i = 0; i < 3; i++)
			close(e[i]);
	}
	/* The error and request indexes: software triggers only. */
	int er = eventfd(0, EFD_NONBLOCK);
	assert_int_equal(set_efds(dfd, VFIO_PCI_REQ_IRQ_INDEX, 0, 1, &er), 0);
	assert_int_equal(set_irqs(dfd, NONE, VFIO_PCI_REQ_IRQ_INDEX, 0, 1, NULL, 0), 0);
	assert_int_equal(count_of(er), 1);
	assert_int_equal(set_efds(dfd, VFIO_PCI_ERR_IRQ_INDEX, 0, 1, &er), 0);
	/* Closed with vectors enabled: they go, and our eventfd copies. */
	int e0 = eventfd(0, EFD_NONBLOCK);
	assert_int_equal(set_efds(dfd, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, &e0), 0);
	assert_int_equal(uiommu_close(dfd), 0);
	close(e0);
	close(er);
	assert_null(to_pci_dev(uiommu_device_find(t.h, "dmatest0"))->msi);
	assert_int_equal(open_fds(), before);
	ifd_close(&t);
}

/* A DSA as a pdev: its MSI-X vector 0 for a command asking for it. */
static void test_dsa_pdev_interrupt(void **s)
{
	(void)s;
	struct ifd t;
	ifd_open(&t);
	uint32_t ioas, flags, count;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	int dfd = cdev_open_bound(&t, "dsa0", ioas, NULL);
	assert_int_equal(irq_info(dfd, VFIO_PCI_MSI_IRQ_INDEX, &flags, &count), 0);
	assert_int_equal(count, 0);
	assert_int_equal(irq_info(dfd, VFIO_PCI_MSIX_IRQ_INDEX, &flags, &count), 0);
	assert_int_equal(count, 9);
	dt_bus_master(dfd);
	int e = eventfd(0, EFD_NONBLOCK);
	assert_int_equal(set_efds(dfd, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, &e), 0);
	dsa_w32(dfd, DSA_REG_CMD, DSA_CMD(DSA_CMD_DRAIN_ALL, 0) | DSA_CMD_INT_REQ);
	assert_int_equal(count_of(e), 1);
	assert_true(dsa_r(dfd, DSA_REG_INTCAUSE) & DSA_INTCAUSE_CMD);
	/* The table is the kernel's: the user's writes there go nowhere. */
	uint32_t v = 0x99;
	assert_int_equal(uiommu_pwrite(dfd, &v, 4,
				       (int64_t)(CDEV_BAR0 + DSA_MSIX_TABLE_OFFSET + 8)),
			 4);
	dsa_w32(dfd, DSA_REG_CMD, DSA_CMD(DSA_CMD_DRAIN_ALL, 0) | DSA_CMD_INT_REQ);
	assert_int_equal(count_of(e), 1);
	assert_int_equal(uiommu_close(dfd), 0);
	close(e);
	ifd_close(&t);
}

/* Interrupts raised from another thread while the user enables and
 * disables vectors: every signal goes to an eventfd that is still the
 * user's, never to one being closed (trig_lock, pci_free_irq's wait). */
struct raiser {
	int dfd;
	atomic_int stop;
	atomic_int raised;
};

static void *raise_loop(void *arg)
{
	struct raiser *r = arg;
	while (!atomic_load(&r->stop)) {
		dt_irq_op(r->dfd);
		atomic_fetch_add(&r->raised, 1);
	}
	return NULL;
}

static void test_irqs_under_load(void **s)
{
	(void)s;
	struct ifd t;
	ifd_open(&t);
	uint32_t ioas;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	int dfd = cdev_open_bound(&t, "dmatest0", ioas, NULL);
	dt_bus_master(dfd);
	struct raiser r = { .dfd = dfd };
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, raise_loop, &r), 0);
	uint64_t got = 0;
	for (int i = 0; i < 200; i++) {
		int e[2] = { eventfd(0, EFD_NONBLOCK), eventfd(0, EFD_NONBLOCK) };
		uint32_t idx = i % 2 ? VFIO_PCI_MSI_IRQ_INDEX : VFIO_PCI_MSIX_IRQ_INDEX;
		assert_int_equal(set_efds(dfd, idx, 0, 2, e), 0);
		assert_int_equal(set_efds(dfd, idx, 0, 1, &e[1]), 0); /* swap under fire */
		assert_int_equal(set_irqs(dfd, NONE, idx, 0, 0, NULL, 0), 0);
		got += count_of(e[0]) + count_of(e[1]);
		close(e[0]);
		close(e[1]);
	}
	atomic_store(&r.stop, 1);
	pthread_join(th, NULL);
	assert_true(atomic_load(&r.raised) > 0);
	(void)got; /* how many landed depends on the interleaving */
	assert_int_equal(uiommu_close(dfd), 0);
	ifd_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_irq_info),
		cmocka_unit_test(test_set_irqs_args),
		cmocka_unit_test(test_device_interrupts),
		cmocka_unit_test(test_dsa_pdev_interrupt),
		cmocka_unit_test(test_irqs_under_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
