/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * I/O page fault round trip (issue #11, SPEC U-11): the DSA, bound to
 * /dev/iommu, runs a block-on-fault MEMMOVE of 64 bytes into a page the
 * VMM has not mapped. The PRI page request goes through the unit's page
 * request queue and the VT-d driver to the FAULT descriptor; one
 * responder thread in the process (the VMM) wakes in poll(), reads the
 * record, maps the page with IOMMU_IOAS_MAP and writes the response; the
 * page-group response resumes the device, which completes.
 *
 *  - iopf.roundtrip_us: the median time of such a descriptor, from
 *    submission to its completion interrupt (timed in the handler, so the
 *    submitting thread's own wake-up is not counted), less the median
 *    time of the same descriptor into a mapped page (the baseline,
 *    measured in the same run, interleaved): what the fault costs, from
 *    the device's page request to its resumption. The submitter sleeps
 *    while the device works, so on two CPUs the engine and the responder
 *    each have one.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <uapi/linux/iommufd.h>
#include <uiommu/files.h>
#include <uiommu/iommufd.h>

#include "bench.h"
#include "bench_host.h"
#include "guest/dsa_wq.h"
#include "host/host.h"
#include "base/device.h"
#include "hw/dev/dsa/dsa.h"
#include "hw/machine.h"
#include "pci/pci.h"

#define PASID  1
#define PG     4096ull
#define SRC    0x10000000ull
#define DST    0x40000000ull
#define NITER  2000

static long ioc(int fd, unsigned long cmd, void *arg)
{
	return uiommu_ioctl(fd, cmd, (unsigned long)(uintptr_t)arg);
}

struct responder {
	int fd, fault_fd;
	uint32_t ioas;
	uint8_t *dst;
	atomic_bool stop;
	atomic_int errors;
};

/* The VMM's thread: wake on the fault descriptor, map, answer. */
static void *respond_fn(void *arg)
{
	struct responder *s = arg;
	while (!atomic_load(&s->stop)) {
		struct pollfd p = { .fd = s->fault_fd, .events = POLLIN };
		if (poll(&p, 1, 100) != 1)
			continue;
		struct iommu_hwpt_pgfault rec;
		if (uiommu_read(s->fault_fd, &rec, sizeof(rec)) != sizeof(rec))
			continue;
		uint64_t page = rec.addr & ~(PG - 1);
		struct iommu_ioas_map m = {
			.size = sizeof(m),
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
				 IOMMU_IOAS_MAP_WRITEABLE,
			.ioas_id = s->ioas, .user_va = (uintptr_t)(s->dst + (page - DST)),
			.length = PG, .iova = page };
		uint32_t code = ioc(s->fd, IOMMU_IOAS_MAP, &m) ? IOMMUFD_PAGE_RESP_INVALID :
								  IOMMUFD_PAGE_RESP_SUCCESS;
		if (code)
			atomic_fetch_add(&s->errors, 1);
		struct iommu_hwpt_page_response resp = { .cookie = rec.cookie, .code = code };
		if (uiommu_write(s->fault_fd, &resp, sizeof(resp)) != sizeof(resp))
			atomic_fetch_add(&s->errors, 1);
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Completion interrupts: when the last one came, and how many. */
static _Atomic double irq_at;
static _Atomic uint32_t irq_seq;

static void on_irq(struct hw_pci_function *fn, unsigned vector, void *opaque)
{
	(void)fn;
	(void)vector;
	(void)opaque;
	atomic_store(&irq_at, now_ns());
	atomic_fetch_add(&irq_seq, 1);
	syscall(SYS_futex, &irq_seq, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* One descriptor, submission to completion interrupt, in ns (or -1). */
static double copy_ns(struct hw_pci_function *fn, struct dsa_completion_record *cr,
		      uint64_t dst)
{
	memset(cr, 0, sizeof(*cr));
	struct dsa_hw_desc d = dsa_desc(DSA_OPCODE_MEMMOVE, DSA_FLAG_BOF | DSA_FLAG_RCI, SRC,
					dst, 64, SRC + PG);
	d.int_handle = 1;
	uint32_t seq = atomic_load(&irq_seq);
	double t0 = now_ns();
	if (dsa_wq_submit(fn, 0, &d))
		return -1;
	struct timespec ts = { 1, 0 };
	while (atomic_load(&irq_seq) == seq)
		if (syscall(SYS_futex, &irq_seq, FUTEX_WAIT_PRIVATE, seq, &ts, NULL, 0) &&
		    errno == ETIMEDOUT)
			return -1;
	double t1 = atomic_load(&irq_at);
	return cr->status == DSA_COMP_SUCCESS ? t1 - t0 : -1;
}

static struct hw_pci_function *dsa_fn(struct uiommu_host *h)
{
	return hw_pci_function_by_rid(h->m, pci_dev_id(to_pci_dev(uiommu_device_find(h, "dsa0"))));
}

static int setup(struct uiommu_host *h, int fd, struct iommufd_ctx *ictx, struct responder *s,
		 uint8_t *src, struct iommufd_device **idev)
{
	int e;
	uint32_t dev;
	*idev = iommufd_device_bind(ictx, uiommu_device_find(h, "dsa0"), &dev, &e);
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct iommu_fault_alloc f = { .size = sizeof(f) };
	if (!*idev || ioc(fd, IOMMU_IOAS_ALLOC, &a) || ioc(fd, IOMMU_FAULT_QUEUE_ALLOC, &f))
		return -1;
	s->fd = fd;
	s->ioas = a.out_ioas_id;
	s->fault_fd = (int)f.out_fault_fd;
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = s->ioas, .user_va = (uintptr_t)src, .length = 2 * PG, .iova = SRC };
	struct iommu_hwpt_alloc c = { .size = sizeof(c),
				      .flags = IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID,
				      .dev_id = dev, .pt_id = s->ioas, .fault_id = f.out_fault_id };
	if (ioc(fd, IOMMU_IOAS_MAP, &m) || ioc(fd, IOMMU_HWPT_ALLOC, &c))
		return -1;
	uint32_t pt = c.out_hwpt_id;
	if (iommufd_device_attach(*idev, PASID, &pt))
		return -1;
	return dsa_wq_setup(dsa_fn(h), 0, 16, PASID, true);
}

int main(void)
{
	struct uiommu_host_opts o = { .no_drivers = true };
	struct uiommu_host *h = bench_host(&o);
	int fd = uiommu_open(h, "/dev/iommu", O_RDWR);
	int e;
	struct iommufd_ctx *ictx = iommufd_ctx_from_fd(fd, &e);
	uint8_t *src = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			    0);
	struct responder s = { 0 };
	s.dst = mmap(NULL, (NITER + 1) * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	memset(s.dst, 0, (NITER + 1) * PG);
	memset(src, 0x3c, 2 * PG);
	struct iommufd_device *idev;
	if (fd < 0 || !ictx || setup(h, fd, ictx, &s, src, &idev)) {
		fprintf(stderr, "bench_iopf: setup failed\n");
		return 1;
	}
	struct hw_pci_function *fn = dsa_fn(h);
	struct dsa_completion_record *cr = (struct dsa_completion_record *)(src + PG);
	dsa_set_irq_handler(fn, on_irq, NULL);
	pthread_t th;
	pthread_create(&th, NULL, respond_fn, &s);

	/* Page 0 is mapped by the first fault and is the baseline's target;
	 * every other iteration faults on a page of its own. */
	static double fault[NITER], plain[NITER];
	int bad = copy_ns(fn, cr, DST) < 0;
	for (int i = 0; i < NITER && !bad; i++) {
		plain[i] = copy_ns(fn, cr, DST);
		fault[i] = copy_ns(fn, cr, DST + (uint64_t)(i + 1) * PG);
		bad = plain[i] < 0 || fault[i] < 0;
	}
	atomic_store(&s.stop, true);
	pthread_join(th, NULL);
	if (bad || atomic_load(&s.errors) || memcmp(s.dst + PG, src, 64)) {
		fprintf(stderr, "bench_iopf: a descriptor failed\n");
		return 1;
	}
	qsort(fault, NITER, sizeof(double), cmp);
	qsort(plain, NITER, sizeof(double), cmp);
	double med_fault = fault[NITER / 2], med_plain = plain[NITER / 2];
	emit("iopf.roundtrip_us", (med_fault - med_plain) / 1000, "us",
	     "the same descriptor, page mapped", med_plain / 1000, "us", "<=10");

	dsa_wq_teardown(fn);
	iommufd_device_detach(idev, PASID);
	iommufd_device_unbind(idev);
	uiommu_close(s.fault_fd);
	iommufd_ctx_put(ictx);
	uiommu_close(fd);
	uiommu_host_free(h);
	munmap(src, 2 * PG);
	munmap(s.dst, (NITER + 1) * PG);
	return 0;
}
