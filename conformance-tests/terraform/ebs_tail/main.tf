# The EBS long tail: a snapshot moved to the archive tier, fast snapshot restores enabled
# for another in one zone, and a snapshot imported from a disk image in S3 (nimbus has no
# S3: the bucket and key are checked for form and recorded).

resource "aws_ebs_volume" "data" {
  availability_zone = "eu-central-1a"
  size              = 2
  tags = {
    Name = "nimbus-ebs-tail"
  }
}

resource "aws_ebs_snapshot" "archived" {
  volume_id    = aws_ebs_volume.data.id
  storage_tier = "archive"
  tags = {
    Name = "nimbus-ebs-tail-archived"
  }
}

resource "aws_ebs_snapshot" "fast" {
  volume_id = aws_ebs_volume.data.id
  tags = {
    Name = "nimbus-ebs-tail-fast"
  }
}

resource "aws_ebs_fast_snapshot_restore" "fast" {
  availability_zone = "eu-central-1a"
  snapshot_id       = aws_ebs_snapshot.fast.id
}

resource "aws_ebs_snapshot_import" "imported" {
  description = "nimbus-ebs-tail imported disk"
  disk_container {
    format = "VHD"
    user_bucket {
      s3_bucket = "nimbus-vm-images"
      s3_key    = "disks/app.vhd"
    }
  }
  tags = {
    Name = "nimbus-ebs-tail-imported"
  }
}

output "archived_tier" {
  value = aws_ebs_snapshot.archived.storage_tier
}
