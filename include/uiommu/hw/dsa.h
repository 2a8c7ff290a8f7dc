/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A DSA-like Scalable-IOV device (SPEC D-1 .. D-4): the register layout,
 * commands, descriptors and completion records software programs, after
 * Intel DSA (Linux drivers/dma/idxd/registers.h, include/uapi/linux/idxd.h,
 * the DSA architecture specification). Facts only; own layout code.
 *
 * BAR0 is the register file (below), BAR2 the WQ portals: WQ w owns the
 * 4 pages at (w * 4) << 12; the first page is the unlimited portal, the
 * second the limited one (honours WQCFG.wq_thresh for shared WQs).
 */
#ifndef UIOMMU_HW_DSA_H
#define UIOMMU_HW_DSA_H

#include <stdint.h>

#define DSA_VENDOR_ID          0x8086
#define DSA_DEVICE_ID          0x0b25   /* DSA on Sapphire Rapids */
#define DSA_BAR0_SIZE          0x4000
/* MSI-X in BAR0: vector 0 for errors and commands, 1.. for completion
 * interrupts (a descriptor's int_handle names the vector). */
#define DSA_MSIX_TABLE_OFFSET  0x2000
#define DSA_MSIX_PBA_OFFSET    0x3000
#define DSA_PORTAL_SIZE        0x1000
#define DSA_WQ_PORTAL(wq, limited) ((uint64_t)((wq) * 4 + ((limited) ? 1 : 0)) << 12)

/* ---- BAR0 registers ---- */
#define DSA_REG_VERSION        0x000  /* 32: major 7:4, minor 3:0 */
#define DSA_REG_GENCAP         0x010  /* 64 */
#define DSA_REG_WQCAP          0x020  /* 64 */
#define DSA_REG_GRPCAP         0x030  /* 64 */
#define DSA_REG_ENGCAP         0x038  /* 64 */
#define DSA_REG_OPCAP          0x040  /* 256: bit n = opcode n supported */
#define DSA_REG_TABLE_OFFSET   0x060  /* 128: grpcfg 15:0, wqcfg 31:16 (x 0x100) */
#define DSA_REG_GENCFG         0x080  /* 32 */
#define DSA_REG_GENCTRL        0x088  /* 32: softerr_int_en 0, halt_int_en 1 */
#define DSA_REG_GENSTS         0x090  /* 32: state 1:0 */
#define DSA_REG_INTCAUSE       0x098  /* 32, write 1 to clear */
#define DSA_REG_CMD            0x0a0  /* 32: operand 19:0, cmd 24:20, int_req 31 */
#define DSA_REG_CMDSTS         0x0a8  /* 32: err 7:0, result 23:8, active 31 */
#define DSA_REG_CMDCAP         0x0b0  /* 32: bit n = command n supported */
#define DSA_REG_SWERR          0x0c0  /* 256 */

#define DSA_TABLE_MULT         0x100
#define DSA_GRPCFG_OFFSET      0x400  /* where this model puts the tables */
#define DSA_WQCFG_OFFSET       0x800
#define DSA_GRPCFG_SIZE        64     /* per group: wqs[4] 0..31, engines 32, flags 40 */
#define DSA_WQCFG_SIZE         32     /* per WQ: 8 dwords */

/* GENCAP */
#define DSA_GENCAP_BOF             (1ull << 0)  /* block on fault */
#define DSA_GENCAP_OVERLAP_COPY    (1ull << 1)
#define DSA_GENCAP_CMD_CAP         (1ull << 4)
#define DSA_GENCAP_MAX_XFER_SHIFT(g)  ((unsigned)(((g) >> 16) & 0x1f))
#define DSA_GENCAP_MAX_BATCH_SHIFT(g) ((unsigned)(((g) >> 21) & 0xf))
#define DSA_GENCAP_CONFIG_EN       (1ull << 31)
/* WQCAP */
#define DSA_WQCAP_TOTAL_SIZE(w)    ((unsigned)((w) & 0xffff))
#define DSA_WQCAP_NUM_WQS(w)       ((unsigned)(((w) >> 16) & 0xff))
#define DSA_WQCAP_WQCFG_SIZE(w)    ((unsigned)(((w) >> 24) & 0xf)) /* 32 << n bytes */
#define DSA_WQCAP_SHARED_MODE      (1ull << 48)
#define DSA_WQCAP_DEDICATED_MODE   (1ull << 49)
#define DSA_WQCAP_PRIORITY         (1ull << 51)
#define DSA_WQCAP_WQ_PRS           (1ull << 55)
/* GRPCAP, ENGCAP */
#define DSA_GRPCAP_NUM_GROUPS(g)   ((unsigned)((g) & 0xff))
#define DSA_ENGCAP_NUM_ENGINES(e)  ((unsigned)((e) & 0xff))

/* GENSTS.state */
enum dsa_dev_state {
	DSA_STATE_DISABLED = 0,
	DSA_STATE_ENABLED = 1,
	DSA_STATE_DRAIN = 2,
	DSA_STATE_HALT = 3,
};

/* INTCAUSE */
#define DSA_INTCAUSE_ERR           0x01
#define DSA_INTCAUSE_CMD           0x02

/* CMD */
#define DSA_CMD(cmd, operand)      ((((uint32_t)(cmd) & 0x1f) << 20) | ((operand) & 0xfffff))
#define DSA_CMD_INT_REQ            (1u << 31)
enum dsa_cmd {
	DSA_CMD_ENABLE_DEVICE = 1,
	DSA_CMD_DISABLE_DEVICE = 2,
	DSA_CMD_DRAIN_ALL = 3,
	DSA_CMD_ABORT_ALL = 4,
	DSA_CMD_RESET_DEVICE = 5,
	DSA_CMD_ENABLE_WQ = 6,    /* operand: WQ id */
	DSA_CMD_DISABLE_WQ = 7,   /* operand: BIT(wq % 16) | (wq / 16) << 16 */
	DSA_CMD_DRAIN_WQ = 8,
	DSA_CMD_ABORT_WQ = 9,
	DSA_CMD_RESET_WQ = 10,
	DSA_CMD_DRAIN_PASID = 11, /* operand: PASID */
	DSA_CMD_ABORT_PASID = 12,
};
#define DSA_WQ_OPERAND(wq)         ((1u << ((wq) % 16)) | (((wq) / 16) << 16))

/* CMDSTS */
#define DSA_CMDSTS_ACTIVE          (1u << 31)
#define DSA_CMDSTS_ERR(s)          ((s) & 0xff)
enum dsa_cmdsts_err {
	DSA_CMDSTS_SUCCESS = 0x00,
	DSA_CMDSTS_INVAL_CMD = 0x01,
	DSA_CMDSTS_INVAL_WQIDX = 0x02,
	DSA_CMDSTS_HW_ERR = 0x03,
	DSA_CMDSTS_ERR_DEV_ENABLED = 0x10,
	DSA_CMDSTS_ERR_CONFIG = 0x11,
	DSA_CMDSTS_ERR_BUSMASTER_EN = 0x12,
	DSA_CMDSTS_ERR_PASID_INVAL = 0x13,
	DSA_CMDSTS_ERR_WQ_SIZE_ERANGE = 0x14,
	DSA_CMDSTS_ERR_GRP_CONFIG = 0x15,
	DSA_CMDSTS_ERR_GRP_CONFIG2 = 0x16,
	DSA_CMDSTS_ERR_GRP_CONFIG3 = 0x17,
	DSA_CMDSTS_ERR_GRP_CONFIG4 = 0x18,
	DSA_CMDSTS_ERR_DEV_NOTEN = 0x20,
	DSA_CMDSTS_ERR_WQ_ENABLED = 0x21,
	DSA_CMDSTS_ERR_WQ_SIZE = 0x22,
	DSA_CMDSTS_ERR_WQ_PRIOR = 0x23,
	DSA_CMDSTS_ERR_WQ_MODE = 0x24,
	DSA_CMDSTS_ERR_BOF_EN = 0x25,
	DSA_CMDSTS_ERR_PASID_EN = 0x26,
	DSA_CMDSTS_ERR_MAX_BATCH_SIZE = 0x27,
	DSA_CMDSTS_ERR_MAX_XFER_SIZE = 0x28,
	DSA_CMDSTS_ERR_DIS_DEV_EN = 0x31,
	DSA_CMDSTS_ERR_DEV_NOT_EN = 0x32,
};

/* SWERR (256 bits, first qword and the fault address qword) */
#define DSA_SWERR_VALID            (1ull << 0)
#define DSA_SWERR_OVERFLOW         (1ull << 1)
#define DSA_SWERR_DESC_VALID       (1ull << 2)
#define DSA_SWERR_WQ_IDX_VALID     (1ull << 3)
#define DSA_SWERR_BATCH            (1ull << 4)
#define DSA_SWERR_FAULT_RW         (1ull << 5)
#define DSA_SWERR_PRIV             (1ull << 6)
#define DSA_SWERR_ERROR(q)         ((unsigned)(((q) >> 8) & 0xff))
#define DSA_SWERR_WQ_IDX(q)        ((unsigned)(((q) >> 16) & 0xff))
#define DSA_SWERR_OPERATION(q)     ((unsigned)(((q) >> 32) & 0xff))
#define DSA_SWERR_PASID(q)         ((uint32_t)(((q) >> 40) & 0xfffff))

/* GRPCFG[g]: WQ bitmap (256 bits) at +0, engine bitmap at +32, flags at +40 */
#define DSA_GRPCFG_WQS(g)          (DSA_GRPCFG_OFFSET + (g) * DSA_GRPCFG_SIZE)
#define DSA_GRPCFG_ENGINES(g)      (DSA_GRPCFG_OFFSET + (g) * DSA_GRPCFG_SIZE + 32)
#define DSA_GRPCFG_FLAGS(g)        (DSA_GRPCFG_OFFSET + (g) * DSA_GRPCFG_SIZE + 40)

/* WQCFG[w]: dword n at DSA_WQCFG(w, n) */
#define DSA_WQCFG(w, dword)        (DSA_WQCFG_OFFSET + (w) * DSA_WQCFG_SIZE + 4 * (dword))
/* dword 0 */
#define DSA_WQCFG_SIZE_MASK        0xffffu
/* dword 1 */
#define DSA_WQCFG_THRESH_MASK      0xffffu
/* dword 2 */
#define DSA_WQCFG_MODE_DEDICATED   (1u << 0)
#define DSA_WQCFG_BOF              (1u << 1)
#define DSA_WQCFG_ATS_DISABLE      (1u << 2)
#define DSA_WQCFG_PRS_DISABLE      (1u << 3)
#define DSA_WQCFG_PRIORITY(p)      (((p) & 0xfu) << 4)
#define DSA_WQCFG_PASID(p)         (((p) & 0xfffffu) << 8)
#define DSA_WQCFG_PASID_OF(d2)     (((d2) >> 8) & 0xfffffu)
#define DSA_WQCFG_PASID_EN         (1u << 28)
#define DSA_WQCFG_PRIV             (1u << 29)
/* dword 3 */
#define DSA_WQCFG_MAX_XFER_SHIFT(v)  ((v) & 0x1fu)
#define DSA_WQCFG_MAX_BATCH_SHIFT(v) (((v) & 0xfu) << 5)
/* dword 6 (read-only) */
#define DSA_WQCFG_OCCUPANCY(d6)    ((d6) & 0xffffu)
#define DSA_WQCFG_STATE(d6)        (((d6) >> 30) & 3u)
#define DSA_WQ_STATE_DISABLED      0
#define DSA_WQ_STATE_ENABLED       1

/* ---- descriptors (64 bytes) and completion records (32 bytes) ---- */

enum dsa_opcode {
	DSA_OPCODE_NOOP = 0x00,
	DSA_OPCODE_BATCH = 0x01,
	DSA_OPCODE_DRAIN = 0x02,
	DSA_OPCODE_MEMMOVE = 0x03,
	DSA_OPCODE_MEMFILL = 0x04,
	DSA_OPCODE_COMPARE = 0x05,
	DSA_OPCODE_COMPVAL = 0x06,
	DSA_OPCODE_CRCGEN = 0x10,
	DSA_OPCODE_COPY_CRC = 0x11,
};

/* Descriptor flags (bits 23:0 of dword 1). */
#define DSA_FLAG_FENCE             0x0001
#define DSA_FLAG_BOF               0x0002  /* block on fault */
#define DSA_FLAG_CRAV              0x0004  /* completion record address valid */
#define DSA_FLAG_RCR               0x0008  /* request completion record */
#define DSA_FLAG_RCI               0x0010  /* request completion interrupt */
#define DSA_FLAG_CR                0x0080  /* check result (COMPARE/COMPVAL) */

struct dsa_hw_desc {
	uint32_t pasid_priv;       /* pasid 19:0, priv 31 (shared WQs only) */
	uint32_t flags_opcode;     /* flags 23:0, opcode 31:24 */
	uint64_t completion_addr;
	union {
		uint64_t src_addr;
		uint64_t pattern;      /* MEMFILL, COMPVAL */
		uint64_t desc_list_addr; /* BATCH */
	};
	union {
		uint64_t dst_addr;
		uint64_t src2_addr;    /* COMPARE */
		uint64_t comp_pattern;
	};
	union {
		uint32_t xfer_size;
		uint32_t desc_count;   /* BATCH */
	};
	uint16_t int_handle;
	uint16_t rsvd1;
	union {
		uint64_t expected_res; /* COMPARE/COMPVAL with CR: 0 equal, 1 different */
		uint32_t crc_seed;     /* CRCGEN, COPY_CRC */
		uint8_t op_specific[24];
	};
};

#define DSA_DESC_PASID(d)          ((d)->pasid_priv & 0xfffffu)
#define DSA_DESC_PRIV(d)           (((d)->pasid_priv >> 31) & 1u)
#define DSA_DESC_OPCODE(d)         ((d)->flags_opcode >> 24)
#define DSA_DESC_FLAGS(d)          ((d)->flags_opcode & 0xffffffu)
#define DSA_DESC_MAKE_OP(op, flags) (((uint32_t)(op) << 24) | ((flags) & 0xffffffu))

struct dsa_completion_record {
	uint8_t status;            /* 6:0 code, bit 7: the faulting access was a write */
	uint8_t result;            /* COMPARE/COMPVAL: 0 equal, 1 different */
	uint16_t rsvd;
	uint32_t bytes_completed;  /* BATCH: descriptors completed */
	uint64_t fault_addr;
	union {
		uint32_t crc_val;
		uint32_t invalid_flags;
		uint8_t op_specific[16];
	};
};

#define DSA_COMP_STATUS(s)         ((s) & 0x7f)
#define DSA_COMP_STATUS_WRITE      0x80

enum dsa_comp_status {
	DSA_COMP_NONE = 0x00,
	DSA_COMP_SUCCESS = 0x01,
	DSA_COMP_SUCCESS_PRED = 0x02,
	DSA_COMP_PAGE_FAULT_NOBOF = 0x03,
	DSA_COMP_PAGE_FAULT_IR = 0x04,
	DSA_COMP_BATCH_FAIL = 0x05,
	DSA_COMP_BATCH_PAGE_FAULT = 0x06,
	DSA_COMP_BAD_OPCODE = 0x10,
	DSA_COMP_INVALID_FLAGS = 0x11,
	DSA_COMP_NOZERO_RESERVE = 0x12,
	DSA_COMP_XFER_ERANGE = 0x13,
	DSA_COMP_DESC_CNT_ERANGE = 0x14,
	DSA_COMP_OVERLAP_BUFFERS = 0x16,
	DSA_COMP_DESCLIST_ALIGN = 0x18,
	DSA_COMP_CRA_XLAT = 0x1a,
	DSA_COMP_CRA_ALIGN = 0x1b,
	DSA_COMP_ADDR_ALIGN = 0x1c,
	DSA_COMP_PRIV_BAD = 0x1d,
	DSA_COMP_HW_ERR1 = 0x20,
	DSA_COMP_TRANSLATION_FAIL = 0x22,
};

/* Portal submission outcome for shared WQs (ENQCMD's ZF). */
enum dsa_submit_result {
	DSA_SUBMIT_ACCEPTED = 0,
	DSA_SUBMIT_RETRY = 1,
};

#endif
