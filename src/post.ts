/** Entry of the Action's post step: the safety net that releases locks left by a cancelled or failed run. */
import { actionPost } from './cleanup.js'

void actionPost()
