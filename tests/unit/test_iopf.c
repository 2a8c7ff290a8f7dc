/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Recoverable faults through the whole stack (SPEC H-8, A-13): a device
 * with PRI asks for a page, the unit queues the request, the driver's
 * page-request interrupt hands it to the domain installed at (RID, PASID),
 * the domain's handler maps the page and answers, the unit's page-group
 * response reaches the device, and the retried access succeeds.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "iommu/iommu.h"
#include "base/device.h"
#include "hw/pci/pri.h"
#include <uiommu/iommu.h>

struct dev_side {
	int responses;
	unsigned last_code, last_prgi;
	uint32_t last_pasid;
};

static struct dev_side *g_side;

static void prg_response(struct hw_pci_function *d, uint32_t pasid, bool pasid_valid, unsigned prgi,
			 unsigned code)
{
	(void)d;
	(void)pasid_valid;
	g_side->responses++;
	g_side->last_code = code;
	g_side->last_prgi = prgi;
	g_side->last_pasid = pasid;
}

static const struct hw_pci_function_ops test_ops = { .prg_response = prg_response };

struct fixer {
	uint8_t *page;
	int calls;
	bool map;
	struct iommu_page_request last;
};

/* A fault handler as an SVA or iommufd fault queue would be: make the
 * page present, then answer. */
static void iopf_handler(struct iommu_domain *d, const struct iommu_page_request *req, void *token)
{
	struct fixer *fx = token;
	fx->calls++;
	fx->last = *req;
	if (fx->map)
		assert_int_equal(iommu_map(d, req->addr, (uint64_t)(uintptr_t)fx->page, 4096,
					   IOMMU_READ | IOMMU_WRITE),
				 0);
	iommu_page_response(req->dev, req, fx->map ? IOMMU_PAGE_RESP_SUCCESS : IOMMU_PAGE_RESP_INVALID);
}

struct rig {
	struct uiommu_host *h;
	struct device *dsa;
	struct iommu_domain *d;
	ioasid_t pasid;
	struct dev_side side;
	uint8_t *page;
};

static void rig_init(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	char err[256];
	/* The test plays the device itself: dsa0 without a model. */
	static const char *const topo =
		"{\"devices\":[{\"bdf\":\"00:01.0\",\"type\":\"root_port\",\"acs\":true,"
		"\"bus\":1,\"children\":[{\"bdf\":\"01:00.0\",\"type\":\"endpoint\","
		"\"name\":\"dsa0\",\"pasid_bits\":20,\"pasid_priv\":true,\"ats\":true,"
		"\"pri\":true,\"siov\":true}]},"
		"{\"bdf\":\"00:02.0\",\"type\":\"rc_endpoint\",\"name\":\"dmatest0\","
		"\"model\":\"dmatest\"}]}";
	struct uiommu_host_opts o = { .topology_json = topo };
	assert_int_equal(uiommu_host_new(&o, &r->h, err, sizeof(err)), 0);
	r->dsa = uiommu_device_find(r->h, "dsa0");
	th_fn(r->dsa)->ops = &test_ops;
	g_side = &r->side;
	hw_pci_cfg_write(th_fn(r->dsa), PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	r->d = iommu_paging_domain_alloc(r->dsa);
	assert_non_null(r->d);
	r->pasid = iommu_alloc_global_pasid(r->dsa);
	assert_int_equal(iommu_attach_device_pasid(r->d, r->dsa, r->pasid), 0);
	r->page = aligned_alloc(4096, 4096);
	memset(r->page, 0x77, 4096);
}

static void rig_fini(struct rig *r)
{
	th_fn(r->dsa)->ops = NULL;
	iommu_detach_device_pasid(r->d, r->dsa, r->pasid);
	iommu_free_global_pasid(r->dsa, r->pasid);
	iommu_domain_free(r->d);
	uiommu_host_free(r->h);
	free(r->page);
}

static void test_page_request_resolved(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	assert_false(iommu_dev_feature_enabled(r.dsa, IOMMU_DEV_FEAT_IOPF));
	assert_true(iommu_dev_has_feature(r.dsa, IOMMU_DEV_FEAT_IOPF));
	assert_int_equal(iommu_dev_enable_feature(r.dsa, IOMMU_DEV_FEAT_IOPF), 0);
	assert_true(hw_pci_pri_enabled(th_fn(r.dsa)));
	struct fixer fx = { .page = r.page, .map = true };
	iommu_set_iopf_handler(r.d, iopf_handler, &fx);

	/* The device's ATS translation failed (nothing mapped): it asks. */
	struct pci_dma_attr a = { .pasid = r.pasid };
	struct pci_dma_result res;
	uint8_t v;
	assert_int_equal(pci_dma_read(NULL, th_fn(r.dsa), &a, 0x5000, &v, 1, &res), -EFAULT);
	assert_int_equal(res.status, PCI_DMA_ATS_NOACCESS); /* no fault recorded for ATS */
	assert_int_equal(pci_pri_page_request(th_fn(r.dsa), r.pasid, false, 0x5000, true, true,
					      false, 7, true),
			 0);
	assert_int_equal(fx.calls, 1);
	assert_true(fx.last.pasid_valid);
	assert_int_equal(fx.last.pasid, r.pasid);
	assert_int_equal(fx.last.grpid, 7);
	assert_int_equal(fx.last.addr, 0x5000);
	assert_int_equal(fx.last.perm, IOMMU_FAULT_PERM_READ | IOMMU_FAULT_PERM_WRITE);
	assert_int_equal(r.side.responses, 1);
	assert_int_equal(r.side.last_code, VTD_PRG_RESP_SUCCESS);
	assert_int_equal(r.side.last_prgi, 7);
	assert_int_equal(r.side.last_pasid, r.pasid);
	/* The retry finds the page. */
	assert_int_equal(pci_dma_read(NULL, th_fn(r.dsa), &a, 0x5010, &v, 1, &res), 0);
	assert_int_equal(v, 0x77);
	assert_int_equal(iommu_dev_disable_feature(r.dsa, IOMMU_DEV_FEAT_IOPF), 0);
	assert_false(hw_pci_pri_enabled(th_fn(r.dsa)));
	rig_fini(&r);
}

static void test_page_request_refused(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	assert_int_equal(iommu_dev_enable_feature(r.dsa, IOMMU_DEV_FEAT_IOPF), 0);
	/* A handler that cannot resolve it answers Invalid. */
	struct fixer fx = { .page = r.page, .map = false };
	iommu_set_iopf_handler(r.d, iopf_handler, &fx);
	assert_int_equal(pci_pri_page_request(th_fn(r.dsa), r.pasid, false, 0x9000, true, false,
					      false, 3, true),
			 0);
	assert_int_equal(fx.calls, 1);
	assert_int_equal(r.side.last_code, VTD_PRG_RESP_INVALID);
	/* No handler at all: the core answers Invalid itself. */
	iommu_set_iopf_handler(r.d, NULL, NULL);
	assert_int_equal(pci_pri_page_request(th_fn(r.dsa), r.pasid, false, 0xa000, true, false,
					      false, 4, true),
			 0);
	assert_int_equal(r.side.responses, 2);
	assert_int_equal(r.side.last_prgi, 4);
	assert_int_equal(r.side.last_code, VTD_PRG_RESP_INVALID);
	/* A PASID with no domain: Invalid too, nobody's handler called. */
	iommu_set_iopf_handler(r.d, iopf_handler, &fx);
	assert_int_equal(pci_pri_page_request(th_fn(r.dsa), r.pasid + 1, false, 0xb000, true, false,
					      false, 5, true),
			 0);
	assert_int_equal(fx.calls, 1);
	assert_int_equal(r.side.responses, 3);
	rig_fini(&r);
}

/* ---- a handler still running when its domain leaves the PASID ---- */

struct stall {
	struct rig *r;
	sem_t in_handler, go_on;
	atomic_bool flushed;
};

static void stalling_handler(struct iommu_domain *d, const struct iommu_page_request *req,
			     void *token)
{
	struct stall *st = token;
	(void)d;
	sem_post(&st->in_handler);
	sem_wait(&st->go_on);
	/* Still the handler's token to use: the flush below waits. */
	iommu_page_response(req->dev, req, IOMMU_PAGE_RESP_INVALID);
}

static void *requester(void *arg)
{
	struct stall *st = arg;
	pci_pri_page_request(th_fn(st->r->dsa), st->r->pasid, false, 0xc000, true, false, false,
			     6, true);
	return NULL;
}

static void *flusher(void *arg)
{
	struct stall *st = arg;
	iommu_domain_flush_faults(st->r->d);
	atomic_store(&st->flushed, true);
	return NULL;
}

/* iommufd frees a fault HWPT's queue once its detach returned and the
 * domain was flushed (issue #12): the flush must wait for a handler that
 * found the domain before the detach, and only for that. */
static void test_flush_waits_for_a_running_handler(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	assert_int_equal(iommu_dev_enable_feature(r.dsa, IOMMU_DEV_FEAT_IOPF), 0);
	struct stall st = { .r = &r };
	sem_init(&st.in_handler, 0, 0);
	sem_init(&st.go_on, 0, 0);
	iommu_set_iopf_handler(r.d, stalling_handler, &st);
	/* Nothing in flight: a flush returns at once. */
	iommu_domain_flush_faults(r.d);
	pthread_t rq, fl;
	assert_int_equal(pthread_create(&rq, NULL, requester, &st), 0);
	sem_wait(&st.in_handler);
	iommu_detach_device_pasid(r.d, r.dsa, r.pasid);
	assert_int_equal(pthread_create(&fl, NULL, flusher, &st), 0);
	nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
	assert_false(atomic_load(&st.flushed));
	sem_post(&st.go_on);
	pthread_join(fl, NULL);
	assert_true(atomic_load(&st.flushed));
	pthread_join(rq, NULL);
	assert_int_equal(r.side.responses, 1);
	assert_int_equal(r.side.last_code, VTD_PRG_RESP_INVALID);
	assert_int_equal(iommu_attach_device_pasid(r.d, r.dsa, r.pasid), 0);
	sem_destroy(&st.in_handler);
	sem_destroy(&st.go_on);
	rig_fini(&r);
}

/* Without the feature the context has no PRE: the request faults SCT.8. */
static void test_page_request_without_iopf(void **s)
{
	(void)s;
	struct rig r;
	rig_init(&r);
	/* PRI enabled at the function by hand, as a driver that forgot the
	 * IOMMU side would. */
	struct hw_pci_function *p = th_fn(r.dsa);
	hw_pci_cfg_write(p, p->ecap_pri + PCI_PRI_ALLOC_REQ, 4, 8);
	hw_pci_cfg_write(p, p->ecap_pri + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_ENABLE);
	unsigned long before = iommu_fault_count(r.h);
	assert_int_equal(pci_pri_page_request(p, r.pasid, false, 0x5000, true, false, false, 1, true),
			 -EIO);
	assert_int_equal(iommu_fault_count(r.h), before + 1);
	struct iommu_fault_record f;
	assert_true(iommu_fault_last(r.h, &f));
	assert_int_equal(f.reason, VTD_FR_SM_CTX_PRE);
	assert_int_equal(r.side.responses, 0);
	/* dmatest0 has no PRI: the feature is not there to enable. */
	struct device *dt = uiommu_device_find(r.h, "dmatest0");
	assert_false(iommu_dev_has_feature(dt, IOMMU_DEV_FEAT_IOPF));
	assert_int_equal(iommu_dev_enable_feature(dt, IOMMU_DEV_FEAT_IOPF), -EINVAL);
	rig_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_request_resolved),
		cmocka_unit_test(test_page_request_refused),
		cmocka_unit_test(test_page_request_without_iopf),
		cmocka_unit_test(test_flush_waits_for_a_running_handler),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
