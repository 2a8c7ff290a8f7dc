/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Message signalled interrupts: the function's side (the MSI capability,
 * the MSI-X table in a BAR, masking and pending bits, bus mastering, the
 * interrupt window) as software programs them, and the kernel's side
 * (pci_alloc_irq_vectors, pci_request_irq, dispatch by vector, the state
 * programmed again after a function reset). The device raising vectors is
 * dmatest at the end of an operation asked with CTRL_INT.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pci/pci.h"
#include <uiommu/hw/dmatest.h>
#include <uiommu/iommu.h>

struct sink {
	atomic_int n;
	uint64_t addr;
	uint32_t data;
};

static void on_msg(uint64_t addr, uint32_t data, void *opaque)
{
	struct sink *s = opaque;
	s->addr = addr;
	s->data = data;
	atomic_fetch_add(&s->n, 1);
}

/* A dmatest of the default topology, with no IOMMU in the way of the
 * copy: a NOOP-length copy of 0 bytes fails, but ends - and raises. */
static void raise0(struct hw_pci_function *f)
{
	assert_int_equal(hw_pci_bar_write(f, 0, DMATEST_REG_LEN, 8,
					  (uint64_t)(DMATEST_CTRL_GO | DMATEST_CTRL_INT) << 32),
			 0);
}

static unsigned cap_of(struct hw_pci_function *f, uint8_t id)
{
	for (unsigned p = hw_pci_cfg_read(f, PCI_CAPABILITY_LIST, 1); p;
	     p = hw_pci_cfg_read(f, p + PCI_CAP_LIST_NEXT, 1))
		if (hw_pci_cfg_read(f, p, 1) == id)
			return p;
	return 0;
}

static void test_msi_capability(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct hw_pci_function *f = th_fn(th_device(h, "dmatest0"));
	struct sink k = { 0 };
	hw_msi_set_handler(h->m, on_msg, &k);
	unsigned c = cap_of(f, PCI_CAP_ID_MSI);
	assert_true(c);
	uint16_t flags = (uint16_t)hw_pci_cfg_read(f, c + PCI_MSI_FLAGS, 2);
	assert_int_equal((flags & PCI_MSI_FLAGS_QMASK) >> 1, DMATEST_MSI_VECTORS_LOG2);
	assert_true(flags & PCI_MSI_FLAGS_64BIT);
	assert_true(flags & PCI_MSI_FLAGS_MASKBIT);
	/* Not enabled: nothing is sent. */
	raise0(f);
	assert_int_equal(atomic_load(&k.n), 0);
	/* Four vectors at data 0x40: vector 0 sends 0x40 to the window. */
	hw_pci_cfg_write(f, c + PCI_MSI_ADDRESS_LO, 4, 0xfee01000);
	hw_pci_cfg_write(f, c + PCI_MSI_ADDRESS_HI, 4, 0);
	hw_pci_cfg_write(f, c + PCI_MSI_DATA_64, 2, 0x43); /* low bits are the vector's */
	hw_pci_cfg_write(f, c + PCI_MSI_FLAGS, 2, (2 << 4) | PCI_MSI_FLAGS_ENABLE);
	raise0(f);
	assert_int_equal(atomic_load(&k.n), 1);
	assert_int_equal(k.addr, 0xfee01000);
	assert_int_equal(k.data, 0x40);
	/* Masked: pending, sent when unmasked. */
	hw_pci_cfg_write(f, c + PCI_MSI_MASK_64, 4, 1);
	raise0(f);
	assert_int_equal(atomic_load(&k.n), 1);
	hw_pci_cfg_write(f, c + PCI_MSI_MASK_64, 4, 0);
	assert_int_equal(atomic_load(&k.n), 2);
	/* Bus mastering off: a message is a write, so none goes. */
	hw_pci_cfg_write(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	raise0(f);
	assert_int_equal(atomic_load(&k.n), 2);
	hw_pci_cfg_write(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	/* Outside the interrupt window a message is not an interrupt. */
	hw_pci_cfg_write(f, c + PCI_MSI_ADDRESS_LO, 4, 0x10000);
	raise0(f);
	assert_int_equal(atomic_load(&k.n), 2);
	/* FLR: the capability is off again. */
	hw_pci_function_reset(f);
	assert_int_equal(hw_pci_cfg_read(f, c + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_ENABLE, 0);
	hw_msi_set_handler(h->m, NULL, NULL);
	uiommu_host_free(h);
}

static void test_msix_table(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct hw_pci_function *f = th_fn(th_device(h, "dmatest0"));
	struct sink k = { 0 };
	hw_msi_set_handler(h->m, on_msg, &k);
	unsigned c = cap_of(f, PCI_CAP_ID_MSIX);
	assert_true(c);
	assert_int_equal((hw_pci_cfg_read(f, c + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE) + 1,
			 DMATEST_MSIX_VECTORS);
	assert_int_equal(hw_pci_cfg_read(f, c + PCI_MSIX_TABLE, 4), DMATEST_MSIX_TABLE | 0);
	uint64_t e0 = DMATEST_MSIX_TABLE, v;
	/* Entries start masked; dwords and qwords only. */
	assert_int_equal(hw_pci_bar_read(f, 0, e0 + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, &v), 0);
	assert_int_equal(v, PCI_MSIX_ENTRY_CTRL_MASKBIT);
	assert_int_equal(hw_pci_bar_write(f, 0, e0, 8, 0xfee00000ull), 0);
	assert_int_equal(hw_pci_bar_write(f, 0, e0 + PCI_MSIX_ENTRY_DATA, 4, 0x51), 0);
	assert_int_equal(hw_pci_bar_write(f, 0, e0 + PCI_MSIX_ENTRY_DATA, 1, 0x99), 0);
	assert_int_equal(hw_pci_bar_read(f, 0, e0 + PCI_MSIX_ENTRY_DATA, 4, &v), 0);
	assert_int_equal(v, 0x51);
	hw_pci_cfg_write(f, c + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
	/* Masked entry: pending in the PBA. */
	raise0(f);
	assert_int_equal(atomic_load(&k.n), 0);
	assert_int_equal(hw_pci_bar_read(f, 0, DMATEST_MSIX_PBA, 8, &v), 0);
	assert_int_equal(v, 1);
	/* Unmasked: sent, no longer pending. */
	assert_int_equal(hw_pci_bar_write(f, 0, e0 + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0), 0);
	assert_int_equal(atomic_load(&k.n), 1);
	assert_int_equal(k.data, 0x51);
	assert_int_equal(hw_pci_bar_read(f, 0, DMATEST_MSIX_PBA, 8, &v), 0);
	assert_int_equal(v, 0);
	/* The function mask holds everything back; clearing it sends. */
	hw_pci_cfg_write(f, c + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	raise0(f);
	assert_int_equal(atomic_load(&k.n), 1);
	hw_pci_cfg_write(f, c + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(atomic_load(&k.n), 2);
	/* MSI-X wins over MSI; reset clears the table. */
	hw_pci_function_reset(f);
	assert_int_equal(hw_pci_bar_read(f, 0, e0 + PCI_MSIX_ENTRY_DATA, 4, &v), 0);
	assert_int_equal(v, 0);
	hw_msi_set_handler(h->m, NULL, NULL);
	uiommu_host_free(h);
}

/* ---- the kernel's side ---- */

struct hits {
	atomic_int n;
	int irq;
};

static void on_irq(int irq, void *data)
{
	struct hits *h = data;
	h->irq = irq;
	atomic_fetch_add(&h->n, 1);
}

static void test_kernel_vectors(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct device *d0 = th_device(h, "dmatest0"), *d1 = th_device(h, "dmatest1");
	struct pci_dev *p0 = to_pci_dev(d0), *p1 = to_pci_dev(d1);
	assert_int_equal(pci_msi_vec_count(p0), 4);
	assert_int_equal(pci_msix_vec_count(p0), 4);
	struct pci_dev *mf = to_pci_dev(uiommu_device_find(h, "mf0"));
	assert_int_equal(pci_msix_vec_count(mf), -EINVAL);
	assert_int_equal(pci_alloc_irq_vectors(mf, 1, 1, PCI_IRQ_MSI | PCI_IRQ_MSIX), -EINVAL);
	assert_int_equal(pci_alloc_irq_vectors(p0, 0, 1, PCI_IRQ_MSI), -EINVAL);
	assert_int_equal(pci_alloc_irq_vectors(p0, 5, 8, PCI_IRQ_MSI), -ENOSPC);

	/* MSI: three asked, four enabled on an aligned block. */
	assert_int_equal(pci_alloc_irq_vectors(p0, 3, 3, PCI_IRQ_MSI), 3);
	assert_int_equal(pci_alloc_irq_vectors(p0, 1, 1, PCI_IRQ_MSI), -EBUSY);
	int base = pci_irq_vector(p0, 0);
	assert_int_equal(base % 4, 0);
	assert_int_equal(pci_irq_vector(p0, 2), base + 2);
	assert_int_equal(pci_irq_vector(p0, 3), -EINVAL);
	/* MSI-X on another function: vectors of its own. */
	assert_int_equal(pci_alloc_irq_vectors(p1, 1, 16, PCI_IRQ_MSIX), 4);
	assert_true(pci_irq_vector(p1, 0) < base || pci_irq_vector(p1, 0) > base + 3);

	struct hits a = { 0 }, b = { 0 };
	assert_int_equal(pci_request_irq(p0, 0, on_irq, &a), 0);
	assert_int_equal(pci_request_irq(p0, 0, on_irq, &a), -EBUSY);
	assert_int_equal(pci_request_irq(p1, 0, on_irq, &b), 0);
	raise0(th_fn(d0));
	raise0(th_fn(d1));
	assert_int_equal(atomic_load(&a.n), 1);
	assert_int_equal(a.irq, base);
	assert_int_equal(atomic_load(&b.n), 1);
	assert_int_equal(b.irq, pci_irq_vector(p1, 0));
	/* A reset of the function: the vectors are programmed again. */
	assert_int_equal(pci_reset_function(p1), 0);
	raise0(th_fn(d1));
	assert_int_equal(atomic_load(&b.n), 2);
	/* Freed: no handler runs, the vectors go back. */
	pci_free_irq(p0, 0);
	unsigned long spurious = h->pci->spurious_irqs;
	raise0(th_fn(d0));
	assert_int_equal(atomic_load(&a.n), 1);
	assert_int_equal(h->pci->spurious_irqs, spurious + 1);
	pci_free_irq_vectors(p0);
	raise0(th_fn(d0)); /* MSI off: nothing at all */
	assert_int_equal(h->pci->spurious_irqs, spurious + 1);
	assert_int_equal(pci_alloc_irq_vectors(p0, 4, 4, PCI_IRQ_MSI), 4);
	assert_int_equal(pci_irq_vector(p0, 0) % 4, 0);
	pci_free_irq_vectors(p0);
	pci_free_irq(p1, 0);
	pci_free_irq_vectors(p1);
	uiommu_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msi_capability),
		cmocka_unit_test(test_msix_table),
		cmocka_unit_test(test_kernel_vectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
