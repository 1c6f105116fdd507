"""Long audio in pieces: where to cut a long track so that no stage holds all of it at once.

faster-whisper computes the features of everything it is given in one go (an STFT of 2 hours takes
6.8 GB), and Silero's VAD batches the whole track: a track longer than PIECE_SECONDS is given to them
piece by piece, cut in the quietest stretch just before each limit so that no word is cut in two.
"""

from __future__ import annotations

import numpy as np

from callscope.pipeline.audio import SAMPLE_RATE

PIECE_SECONDS = 600.0     # longest piece: about 0.6 GB for Whisper's features
SEARCH_SECONDS = 30.0     # the cut is the quietest moment in the last SEARCH_SECONDS of a piece
QUIET_SECONDS = 0.2       # length of the stretch whose energy decides the cut


def pieces(samples: np.ndarray, longest: float = PIECE_SECONDS, search: float = SEARCH_SECONDS,
           rate: int = SAMPLE_RATE) -> list[tuple[int, int]]:
    """(begin, end) sample ranges covering `samples` in order, each at most `longest` seconds; one range
    for a track no longer than that."""
    limit, window, quiet = int(longest * rate), int(search * rate), int(QUIET_SECONDS * rate)
    ranges, begin = [], 0
    while len(samples) - begin > limit:
        tail = samples[begin + limit - window: begin + limit]
        frames = tail[: len(tail) // quiet * quiet].reshape(-1, quiet)
        energy = np.einsum("ij,ij->i", frames, frames)
        end = begin + limit - window + int(np.argmin(energy)) * quiet + quiet // 2
        ranges.append((begin, end))
        begin = end
    return ranges + [(begin, len(samples))]
