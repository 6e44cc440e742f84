/** Entry of the Action's main step. */
import { actionMain } from './action.js'

void actionMain()
