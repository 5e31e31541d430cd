"""Benchmarks of the extension's sync, REST and WebSocket paths, side by side with rclone,
curl and the disk/hash floors, all measured in the same run on the same files.

Run `bash benchmarks/run_all.sh` (or `--smoke`); see benchmarks/README.md.
"""
