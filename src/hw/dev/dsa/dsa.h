/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DSA-like device model (SPEC D-1 .. D-4): what the rest of uiommu
 * uses besides BAR0 MMIO (hw_pci_bar_read/hw_pci_bar_write) and FLR
 * (hw_pci_function_reset). The register, descriptor and completion-record layouts
 * software programs are in <uiommu/hw/dsa.h>.
 */
#ifndef UIOMMU_HW_DEV_DSA_H
#define UIOMMU_HW_DEV_DSA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uiommu/hw/dsa.h>

struct hw_pci_function;
struct json_object;

/* Limits of the model (what the options may ask for). */
#define DSA_MAX_WQS      64
#define DSA_MAX_ENGINES  64
#define DSA_MAX_GROUPS   16   /* GRPCFG table between 0x400 and 0x800 */
#define DSA_MAX_WQ_TOTAL 4096

struct dsa_options {
	unsigned wqs;             /* WQCAP.num_wqs                       (8) */
	unsigned engines;         /* ENGCAP.num_engines                  (4) */
	unsigned groups;          /* GRPCAP.num_groups                   (4) */
	unsigned wq_total_size;   /* WQCAP.total_wq_size               (128) */
	unsigned max_xfer_shift;  /* GENCAP.max_xfer_shift              (31) */
	unsigned max_batch_shift; /* GENCAP.max_batch_shift             (10) */
	bool block_on_fault;      /* GENCAP.block_on_fault, WQCAP.wq_prs (true) */
	/* Deterministic mode for tests and fuzzing (false): no engine
	 * threads; a portal write runs its group's engines in the writer's
	 * thread until the WQs are empty, so a descriptor has completed when
	 * the write returns. A block-on-fault wait then needs its answer
	 * from another thread (or times out). */
	bool inline_engines;
};

void dsa_default_options(struct dsa_options *o);
/* Options from a topology "options" object (may be NULL): unknown keys and
 * out-of-range values fail with a message naming the field. */
int dsa_parse_options(struct json_object *opts, struct dsa_options *o, char *err, size_t errlen);

/* Make `d` a DSA function: identity, BAR0 (registers) and BAR2 (portals). */
int dsa_init(struct hw_pci_function *d, const struct dsa_options *o);
/* True when `d` carries this model. */
bool dsa_is_dsa(const struct hw_pci_function *d);

/*
 * Portal submission (SPEC D-2, HW.md 4.6). A 64-byte write of `desc` at
 * `bar2_off` in BAR2: WQ (bar2_off >> 14); the second page of a WQ's four
 * is the limited portal (honours WQCFG.wq_thresh on shared WQs).
 *
 *  DSA_MOVDIR64B  dedicated WQ, posted: PASID and privilege come from
 *                 WQCFG, the descriptor's own are ignored. A full WQ drops
 *                 the descriptor and records SWERR.
 *  DSA_ENQCMD     shared WQ, non-posted: PASID from `enqcmd_pasid` (the
 *                 submitter's IA32_PASID), privilege 0.
 *  DSA_ENQCMDS    shared WQ, non-posted: PASID and privilege from the
 *                 descriptor.
 *
 * *res says whether the descriptor entered the WQ (ACCEPTED) or not
 * (RETRY): for ENQCMD/ENQCMDS that is the instruction's answer; for the
 * posted MOVDIR64B software would get no answer, the value is for tests.
 * A write to a disabled WQ, or in the wrong mode, is dropped with SWERR.
 * With memory decoding off (PCI_COMMAND_MEMORY clear) the write goes
 * nowhere (RETRY, no SWERR).
 *
 * Returns 0, or -EINVAL for a write the CPU would not issue (offset not
 * 64-byte aligned or outside BAR2, unknown op, PASID wider than 20 bits),
 * -ENODEV when `d` is not a DSA. Lock-free; callable from any thread.
 */
enum dsa_portal_op {
	DSA_MOVDIR64B,
	DSA_ENQCMD,
	DSA_ENQCMDS,
};

int dsa_portal_submit(struct hw_pci_function *d, uint64_t bar2_off, const struct dsa_hw_desc *desc,
		      enum dsa_portal_op op, uint32_t enqcmd_pasid, enum dsa_submit_result *res);

/*
 * Interrupt delivery: `fn` is called with `vector` = the descriptor's
 * int_handle for a completion with RCI, and vector 0 for a software error
 * (GENCTRL.softerr_int_en; INTCAUSE.ERR) or a command with CMD.int_req
 * (INTCAUSE.CMD). It runs in an engine thread or the thread that caused
 * the event, outside every model lock and DMA section: it may read and
 * write registers, but a command written from an engine thread is refused
 * (CMDSTS 0x03) and an FLR from one is ignored - the engine would wait for
 * itself; defer them, as an interrupt handler would. NULL removes the
 * handler.
 */
typedef void (*dsa_irq_fn)(struct hw_pci_function *d, unsigned vector, void *opaque);
void dsa_set_irq_handler(struct hw_pci_function *d, dsa_irq_fn fn, void *opaque);

/* Statistics since power-on or the last reset. Descriptors count every
 * descriptor an engine finished (a batch and each of its members);
 * bytes count bytes written to destinations (MEMMOVE, MEMFILL, COPY_CRC);
 * page faults count translation failures met by descriptor accesses
 * (resolved by PRI or not); page requests count PRI requests issued. */
struct dsa_wq_stats {
	uint64_t descs_completed;
	uint64_t bytes_moved;
	uint64_t page_faults;
	uint64_t page_requests;
};

struct dsa_stats {
	unsigned nr_wqs;
	struct dsa_wq_stats wq[DSA_MAX_WQS];
};

void dsa_get_stats(struct hw_pci_function *d, struct dsa_stats *s);

/*
 * SWERR.error codes this model uses for submission errors, which have no
 * completion record and no completion status of their own (model-defined,
 * above the completion status range). Errors found executing a descriptor
 * without a usable completion record use the completion status code
 * (e.g. DSA_COMP_CRA_XLAT, DSA_COMP_CRA_ALIGN).
 */
#define DSA_SWERR_WQ_DISABLED  0x30   /* portal write to a disabled WQ */
#define DSA_SWERR_WQ_MODE      0x31   /* MOVDIR64B to a shared WQ, ENQCMD(S) to a dedicated */
#define DSA_SWERR_WQ_FULL      0x32   /* MOVDIR64B to a full dedicated WQ */

#endif
