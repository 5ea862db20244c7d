# Least-privilege access to the bucket for the two components, as IAM policies, and (when the
# EKS OIDC provider is given) IAM roles their Kubernetes service accounts assume (IRSA).
#
#   worker: reads raw/, writes records/v1/, jobs/ and exports/ (conditional puts), lists;
#           deletes under exports/v1/ only (a daily compaction rewritten with fewer parts).
#   api:    writes raw/ (uploads, multipart), reads records/, jobs/ and exports/, lists.
# Neither may delete anything else, change the bucket or touch any other bucket.

locals {
  bucket_arn = aws_s3_bucket.ingest.arn
  kms_arns   = var.kms_key_arn == null ? [] : [var.kms_key_arn]
}

data "aws_iam_policy_document" "worker" {
  statement {
    sid       = "ListTheBucket"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.bucket_arn]
  }

  statement {
    sid     = "ReadUploadsAndOutputs"
    actions = ["s3:GetObject"]
    resources = [
      "${local.bucket_arn}/raw/*",
      "${local.bucket_arn}/records/*",
      "${local.bucket_arn}/jobs/*",
      "${local.bucket_arn}/exports/*",
    ]
  }

  statement {
    sid     = "WriteOutputs"
    actions = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    resources = [
      "${local.bucket_arn}/records/*",
      "${local.bucket_arn}/jobs/*",
      "${local.bucket_arn}/exports/*",
    ]
  }

  statement {
    sid       = "RewriteDailyCompactions"
    actions   = ["s3:DeleteObject"]
    resources = ["${local.bucket_arn}/exports/v1/*"]
  }

  dynamic "statement" {
    for_each = length(local.kms_arns) > 0 ? [1] : []
    content {
      sid       = "UseTheBucketKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = local.kms_arns
    }
  }
}

data "aws_iam_policy_document" "api" {
  statement {
    sid       = "ListTheBucket"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.bucket_arn]
  }

  statement {
    sid     = "WriteUploads"
    actions = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    resources = [
      "${local.bucket_arn}/raw/*",
    ]
  }

  statement {
    sid     = "ReadRecordsJobsAndExports"
    actions = ["s3:GetObject"]
    resources = [
      "${local.bucket_arn}/raw/*",
      "${local.bucket_arn}/records/*",
      "${local.bucket_arn}/jobs/*",
      "${local.bucket_arn}/exports/*",
    ]
  }

  dynamic "statement" {
    for_each = length(local.kms_arns) > 0 ? [1] : []
    content {
      sid       = "UseTheBucketKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = local.kms_arns
    }
  }
}

resource "aws_iam_policy" "worker" {
  name        = "${local.name}-worker-s3"
  description = "Ingest workers: read uploads, write records, job summaries and exports in ${var.bucket_name}"
  policy      = data.aws_iam_policy_document.worker.json
}

resource "aws_iam_policy" "api" {
  name        = "${local.name}-api-s3"
  description = "Ingest API: write uploads, read records and job summaries in ${var.bucket_name}"
  policy      = data.aws_iam_policy_document.api.json
}

# --- IRSA roles (optional) ---------------------------------------------------------------

locals {
  irsa = var.eks_oidc_provider_arn == null ? {} : {
    api    = aws_iam_policy.api.arn
    worker = aws_iam_policy.worker.arn
  }
  # arn:aws:iam::<account>:oidc-provider/<issuer host and path>  ->  <issuer host and path>
  oidc_issuer = var.eks_oidc_provider_arn == null ? "" : element(split("oidc-provider/", var.eks_oidc_provider_arn), 1)
}

data "aws_iam_policy_document" "irsa_trust" {
  for_each = local.irsa

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.eks_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:sub"
      values   = ["system:serviceaccount:${var.k8s_namespace}:ingest-${each.key}"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "irsa" {
  for_each = local.irsa

  name                 = "${local.name}-${each.key}"
  description          = "Assumed by the ${var.k8s_namespace}/ingest-${each.key} service account"
  assume_role_policy   = data.aws_iam_policy_document.irsa_trust[each.key].json
  max_session_duration = 3600
}

resource "aws_iam_role_policy_attachment" "irsa" {
  for_each = local.irsa

  role       = aws_iam_role.irsa[each.key].name
  policy_arn = each.value
}
