/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * FAULT queues (SPEC U-11): a device with PRI attached through a
 * fault-capable HWPT asks for pages; the requests of a page group reach
 * the queue's descriptor as records sharing a cookie; poll sees them; the
 * answer written back by cookie resumes the device; a bad cookie is an
 * error; detaching or closing answers what is outstanding.
 */
#include <poll.h>
#include <unistd.h>

#include "iommufd_utils.h"
#include "base/device.h"
#include "hw/pci/pci.h"
#include <uiommu/hw/pci_regs.h>
#include "hw/pci/pri.h"
#include <uiommu/hw/vtd_regs.h>

#define PG 4096ull

struct side {
	int responses;
	unsigned last_code, last_prgi;
};
static struct side *g_side;

static void prg_response(struct hw_pci_function *d, uint32_t pasid, bool pasid_valid, unsigned prgi,
			 unsigned code)
{
	(void)d;
	(void)pasid;
	(void)pasid_valid;
	g_side->responses++;
	g_side->last_code = code;
	g_side->last_prgi = prgi;
}

static const struct hw_pci_function_ops dev_ops = { .prg_response = prg_response };

static const char *const topo =
	"{\"devices\":[{\"bdf\":\"00:01.0\",\"type\":\"root_port\",\"acs\":true,"
	"\"bus\":1,\"children\":[{\"bdf\":\"01:00.0\",\"type\":\"endpoint\","
	"\"name\":\"dsa0\",\"pasid_bits\":20,\"pasid_priv\":true,\"ats\":true,"
	"\"pri\":true,\"siov\":true}]}]}";

struct rig {
	struct ifd t;
	struct side side;
	struct device *dsa;
	struct iommufd_device *idev;
	uint32_t dev, ioas, fault_id, hwpt;
	int fault_fd;
};

static void rig_init(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	ifd_open_on(&r->t, th_host(topo, false));
	r->dsa = th_device(r->t.h, "dsa0");
	th_fn(r->dsa)->ops = &dev_ops;
	g_side = &r->side;
	int err;
	r->idev = iommufd_device_bind(r->t.ictx, r->dsa, &r->dev, &err);
	assert_non_null(r->idev);
	assert_int_equal(ioas_alloc(r->t.fd, &r->ioas), 0);
	struct iommu_fault_alloc f = { .size = sizeof(f) };
	assert_int_equal(ioc(r->t.fd, IOMMU_FAULT_QUEUE_ALLOC, &f), 0);
	r->fault_id = f.out_fault_id;
	r->fault_fd = (int)f.out_fault_fd;
	assert_true(uiommu_is_file(r->fault_fd));
	struct iommu_hwpt_alloc h = { .size = sizeof(h),
				      .flags = IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID,
				      .dev_id = r->dev, .pt_id = r->ioas, .fault_id = r->fault_id };
	assert_int_equal(ioc(r->t.fd, IOMMU_HWPT_ALLOC, &h), 0);
	r->hwpt = h.out_hwpt_id;
	uint32_t pt = r->hwpt;
	assert_int_equal(iommufd_device_attach(r->idev, 5, &pt), 0);
}

static void rig_fini(struct rig *r)
{
	th_fn(r->dsa)->ops = NULL;
	iommufd_device_detach(r->idev, 5);
	assert_int_equal(obj_destroy(r->t.fd, r->hwpt), 0);
	iommufd_device_unbind(r->idev);
	if (r->fault_fd >= 0)
		assert_int_equal(uiommu_close(r->fault_fd), 0);
	ifd_close(&r->t);
}

static int request(struct rig *r, uint64_t addr, unsigned prgi, bool last)
{
	return pci_pri_page_request(th_fn(r->dsa), 5, false, addr, true, true, false, prgi, last);
}

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void page_group_read_and_answered(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	/* The attach turned PRI on. */
	assert_true(hw_pci_pri_enabled(th_fn(r.dsa)));
	/* The fault queue is busy while a HWPT uses it. */
	assert_int_equal(obj_destroy(r.t.fd, r.fault_id), -EBUSY);
	struct iommu_hwpt_pgfault rec[4];
	assert_int_equal(uiommu_read(r.fault_fd, rec, sizeof(rec)), 0);
	assert_false(readable(r.fault_fd));
	/* A group: two requests, delivered when the last one arrives. */
	assert_int_equal(request(&r, 0x5000, 9, false), 0);
	assert_false(readable(r.fault_fd));
	assert_int_equal(request(&r, 0x6000, 9, true), 0);
	assert_true(readable(r.fault_fd));
	/* Too small for the group: EINVAL, nothing consumed. */
	assert_int_equal(uiommu_read(r.fault_fd, rec, sizeof(rec[0])), -EINVAL);
	assert_int_equal(uiommu_read(r.fault_fd, rec, sizeof(rec[0]) + 1), -ESPIPE);
	assert_int_equal(uiommu_read(r.fault_fd, rec, sizeof(rec)), 2 * sizeof(rec[0]));
	assert_false(readable(r.fault_fd));
	assert_int_equal(rec[0].dev_id, r.dev);
	assert_int_equal(rec[0].pasid, 5);
	assert_int_equal(rec[0].grpid, 9);
	assert_int_equal(rec[0].addr, 0x5000);
	assert_int_equal(rec[0].flags, IOMMU_PGFAULT_FLAGS_PASID_VALID);
	assert_int_equal(rec[1].flags,
			 IOMMU_PGFAULT_FLAGS_PASID_VALID | IOMMU_PGFAULT_FLAGS_LAST_PAGE);
	assert_int_equal(rec[0].perm, IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE);
	assert_int_equal(rec[0].cookie, rec[1].cookie);
	assert_int_equal(r.side.responses, 0);
	/* Answers: bad code, unknown cookie, then the right one. */
	struct iommu_hwpt_page_response resp = { .cookie = rec[0].cookie, .code = 7 };
	assert_int_equal(uiommu_write(r.fault_fd, &resp, sizeof(resp)), -EINVAL);
	resp = (struct iommu_hwpt_page_response){ .cookie = rec[0].cookie + 100 };
	assert_int_equal(uiommu_write(r.fault_fd, &resp, sizeof(resp)), -EINVAL);
	assert_int_equal(uiommu_write(r.fault_fd, &resp, 3), -ESPIPE);
	resp = (struct iommu_hwpt_page_response){ .cookie = rec[0].cookie,
						  .code = IOMMUFD_PAGE_RESP_SUCCESS };
	assert_int_equal(uiommu_write(r.fault_fd, &resp, sizeof(resp)), sizeof(resp));
	assert_int_equal(r.side.responses, 1);
	assert_int_equal(r.side.last_prgi, 9);
	assert_int_equal(r.side.last_code, VTD_PRG_RESP_SUCCESS);
	/* Answered once only. */
	assert_int_equal(uiommu_write(r.fault_fd, &resp, sizeof(resp)), -EINVAL);
	rig_fini(&r);
}

static void outstanding_faults_are_answered(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	/* One read, one still queued: the detach answers both Invalid. */
	assert_int_equal(request(&r, 0x5000, 1, true), 0);
	struct iommu_hwpt_pgfault rec;
	assert_int_equal(uiommu_read(r.fault_fd, &rec, sizeof(rec)), sizeof(rec));
	assert_int_equal(request(&r, 0x6000, 2, true), 0);
	assert_true(readable(r.fault_fd));
	iommufd_device_detach(r.idev, 5);
	assert_int_equal(r.side.responses, 2);
	assert_int_equal(r.side.last_code, VTD_PRG_RESP_INVALID);
	assert_false(readable(r.fault_fd));
	assert_false(hw_pci_pri_enabled(th_fn(r.dsa)));
	/* Closing the queue's fd and destroying it answers the rest. */
	uint32_t pt = r.hwpt;
	assert_int_equal(iommufd_device_attach(r.idev, 5, &pt), 0);
	assert_int_equal(request(&r, 0x7000, 3, true), 0);
	assert_int_equal(uiommu_close(r.fault_fd), 0);
	r.fault_fd = -1;
	iommufd_device_detach(r.idev, 5);
	assert_int_equal(r.side.responses, 3);
	assert_int_equal(obj_destroy(r.t.fd, r.hwpt), 0);
	assert_int_equal(obj_destroy(r.t.fd, r.fault_id), 0);
	assert_int_equal(iommufd_device_attach(r.idev, 5, &(uint32_t){ r.ioas }), -EINVAL);
	th_fn(r.dsa)->ops = NULL;
	iommufd_device_unbind(r.idev);
	ifd_close(&r.t);
}

static void fault_alloc_errors(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	/* A fault-capable HWPT on a device without PRI cannot attach. */
	struct device *d = th_device(t.h, "dmatest0");
	int err;
	uint32_t dev_id, ioas;
	struct iommufd_device *idev = iommufd_device_bind(t.ictx, d, &dev_id, &err);
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	struct iommu_fault_alloc fq = { .size = sizeof(fq) };
	assert_int_equal(ioc(t.fd, IOMMU_FAULT_QUEUE_ALLOC, &fq), 0);
	struct iommu_hwpt_alloc h = { .size = sizeof(h), .flags = IOMMU_HWPT_FAULT_ID_VALID,
				      .dev_id = dev_id, .pt_id = ioas, .fault_id = fq.out_fault_id };
	assert_int_equal(ioc(t.fd, IOMMU_HWPT_ALLOC, &h), 0);
	uint32_t pt = h.out_hwpt_id;
	assert_int_equal(iommufd_device_attach(idev, IOMMU_NO_PASID, &pt), -ENODEV);
	assert_int_equal(obj_destroy(t.fd, h.out_hwpt_id), 0);
	assert_int_equal(uiommu_close((int)fq.out_fault_fd), 0);
	assert_int_equal(obj_destroy(t.fd, fq.out_fault_id), 0);
	assert_int_equal(obj_destroy(t.fd, ioas), 0);
	iommufd_device_unbind(idev);
	struct iommu_fault_alloc f = { .size = sizeof(f), .flags = 1 };
	assert_int_equal(ioc(t.fd, IOMMU_FAULT_QUEUE_ALLOC, &f), -EOPNOTSUPP);
	/* A response that cannot be written leaves no object, no fd. */
	struct iommu_fault_alloc *ro = mmap(NULL, PG, PROT_READ | PROT_WRITE,
					     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro->size = sizeof(*ro);
	mprotect(ro, PG, PROT_READ);
	int probe = dup(0);
	close(probe);
	assert_int_equal(ioc(t.fd, IOMMU_FAULT_QUEUE_ALLOC, ro), -EFAULT);
	assert_false(uiommu_is_file(probe));
	assert_int_equal(ictx_objects(&t), 0);
	munmap(ro, PG);
	/* A queue fd keeps the context alive after /dev/iommu is closed. */
	f.flags = 0;
	assert_int_equal(ioc(t.fd, IOMMU_FAULT_QUEUE_ALLOC, &f), 0);
	assert_int_equal(uiommu_close(t.fd), 0);
	t.fd = -1;
	struct iommu_hwpt_pgfault rec;
	assert_int_equal(uiommu_read((int)f.out_fault_fd, &rec, sizeof(rec)), 0);
	assert_int_equal(uiommu_close((int)f.out_fault_fd), 0);
	ifd_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(page_group_read_and_answered),
		cmocka_unit_test(outstanding_faults_are_answered),
		cmocka_unit_test(fault_alloc_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
